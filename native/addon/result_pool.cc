#include "result_pool.hpp"

#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "typed_out.hpp"

namespace dilemma::addon::result_pool {

namespace {

using Clock = std::chrono::steady_clock;

struct Kept {
  void* memory;
  size_t size;
  Clock::time_point since;
};

struct State {
  std::mutex mutex;
  std::vector<Kept> kept;  // most recently given back last
  size_t kept_bytes = 0;
  size_t outstanding = 0;
  size_t outstanding_limited = 0;  // of those, taken by take_limited()
  uint64_t reused = 0, fresh = 0, refused = 0;
};

State& state() {
  // Never destroyed: finalizers may still give blocks back while the
  // process exits.
  static auto* s = new State();
  return *s;
}

// Under the mutex: moves the blocks idle past kIdleSeconds (or all) into `out`.
void collect(State& s, bool all, std::vector<void*>* out) {
  const Clock::time_point now = Clock::now();
  size_t w = 0;
  for (size_t r = 0; r < s.kept.size(); ++r) {
    const Kept& k = s.kept[r];
    if (all || std::chrono::duration<double>(now - k.since).count() > kIdleSeconds) {
      out->push_back(k.memory);
      s.kept_bytes -= k.size;
    } else {
      s.kept[w++] = k;
    }
  }
  s.kept.resize(w);
}

void free_all(const std::vector<void*>& blocks) {
  for (void* p : blocks) std::free(p);
}

void* take_impl(size_t bytes, bool zero, bool limited) {
  const size_t size = block_size(bytes);
  if (bytes < kMinBytes) return zero ? std::calloc(size, 1) : std::malloc(size);
  State& s = state();
  std::vector<void*> idle;
  void* memory = nullptr;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (limited && s.outstanding_limited + size > kMaxOutstanding) {
      ++s.refused;
      return nullptr;
    }
    // Counted at once, so that concurrent callers cannot pass the bound together.
    s.outstanding += size;
    if (limited) s.outstanding_limited += size;
    for (size_t i = s.kept.size(); i-- > 0;) {
      if (s.kept[i].size == size) {
        memory = s.kept[i].memory;
        s.kept_bytes -= size;
        s.kept.erase(s.kept.begin() + static_cast<std::ptrdiff_t>(i));
        ++s.reused;
        break;
      }
    }
    collect(s, false, &idle);
  }
  free_all(idle);
  if (memory != nullptr) {
    if (zero) std::memset(memory, 0, bytes);
    return memory;
  }
  memory = zero ? std::calloc(size, 1) : std::malloc(size);
  if (memory == nullptr) {
    trim();
    memory = zero ? std::calloc(size, 1) : std::malloc(size);
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  if (memory == nullptr) {
    s.outstanding -= size;
    if (limited) s.outstanding_limited -= size;
    return nullptr;
  }
  ++s.fresh;
  return memory;
}

}  // namespace

size_t block_size(size_t bytes) {
  if (bytes < kMinBytes) return bytes > 0 ? bytes : 1;
  size_t top = kMinBytes;  // the largest power of two at most bytes
  while (top <= bytes / 2) top <<= 1;
  const size_t step = top / 8;
  return (bytes + step - 1) / step * step;
}

void* take(size_t bytes, bool zero) { return take_impl(bytes, zero, false); }
void* take_limited(size_t bytes, bool zero) { return take_impl(bytes, zero, true); }

void give(void* block, size_t bytes, bool limited) {
  if (block == nullptr) return;
  if (bytes < kMinBytes) {
    std::free(block);
    return;
  }
  const size_t size = block_size(bytes);
  State& s = state();
  std::vector<void*> idle;
  bool keep = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.outstanding = s.outstanding >= size ? s.outstanding - size : 0;
    if (limited) s.outstanding_limited = s.outstanding_limited >= size ? s.outstanding_limited - size : 0;
    collect(s, false, &idle);
    if (size <= kKeepLargest && s.kept_bytes + size <= kKeepBytes) {
      s.kept.push_back(Kept{block, size, Clock::now()});
      s.kept_bytes += size;
      keep = true;
    }
  }
  free_all(idle);
  if (!keep) std::free(block);
}

size_t trim() {
  State& s = state();
  std::vector<void*> all;
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    bytes = s.kept_bytes;
    collect(s, true, &all);
  }
  free_all(all);
  return bytes;
}

Stats stats() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Stats r;
  r.kept_bytes = s.kept_bytes;
  r.kept_blocks = s.kept.size();
  r.outstanding_bytes = s.outstanding;
  r.reused = s.reused;
  r.fresh = s.fresh;
  r.refused = s.refused;
  return r;
}

Napi::Value pooled_float32(Napi::Env env, int64_t length) {
  check_result_bytes("a result array", length, sizeof(float));
  const size_t bytes = static_cast<size_t>(length) * sizeof(float);
  if (bytes < kMinBytes) return env.Undefined();
  void* memory = take_limited(bytes, false);
  if (memory == nullptr) return env.Undefined();
  struct Block {
    void* memory;
    size_t bytes;
  };
  auto* block = new Block{memory, bytes};
  // From here the block goes back only through the buffer's finalizer (or
  // external_buffer's own release on failure).
  Napi::ArrayBuffer buffer = external_buffer(
      env, memory, bytes,
      [](napi_env e, void* h) {
        auto* b = static_cast<Block*>(h);
        adjust_external_memory(e, -static_cast<int64_t>(b->bytes));
        give(b->memory, b->bytes, true);
        delete b;
      },
      block);
  return Napi::Float32Array::New(env, static_cast<size_t>(length), buffer, 0);
}

namespace {

Napi::Value Float32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const int64_t length = integer(env, info[0], "length", 0, kMaxResultBytes / 4);
    return pooled_float32(env, length);
  });
}

Napi::Value Trim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(trim()));
}

Napi::Value StatsOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Stats s = stats();
  Napi::Object o = Napi::Object::New(env);
  put(o, "keptBytes", Napi::Number::New(env, static_cast<double>(s.kept_bytes)));
  put(o, "keptBlocks", Napi::Number::New(env, static_cast<double>(s.kept_blocks)));
  put(o, "outstandingBytes", Napi::Number::New(env, static_cast<double>(s.outstanding_bytes)));
  put(o, "reused", Napi::Number::New(env, static_cast<double>(s.reused)));
  put(o, "fresh", Napi::Number::New(env, static_cast<double>(s.fresh)));
  put(o, "refused", Napi::Number::New(env, static_cast<double>(s.refused)));
  return o;
}

}  // namespace

// A repeating timer on each environment's event loop that frees blocks idle
// past kIdleSeconds, so that a process that stops asking for results gives
// the memory back without another pool operation. Unreferenced: it never
// keeps a process alive. Closed when the environment is torn down.
struct IdleTrim {
  uv_timer_t timer;
};

void start_idle_trim(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return;
  auto* t = new IdleTrim();
  if (uv_timer_init(loop, &t->timer) != 0) {
    delete t;
    return;
  }
  t->timer.data = t;
  const uint64_t period = static_cast<uint64_t>(kIdleSeconds * 1000.0 / 2.0);
  uv_timer_start(
      &t->timer,
      [](uv_timer_t*) {
        State& s = state();
        std::vector<void*> idle;
        {
          std::lock_guard<std::mutex> lock(s.mutex);
          collect(s, false, &idle);
        }
        free_all(idle);
      },
      period, period);
  uv_unref(reinterpret_cast<uv_handle_t*>(&t->timer));
  napi_add_env_cleanup_hook(
      env,
      [](void* arg) {
        auto* t = static_cast<IdleTrim*>(arg);
        uv_timer_stop(&t->timer);
        uv_close(reinterpret_cast<uv_handle_t*>(&t->timer),
                 [](uv_handle_t* h) { delete static_cast<IdleTrim*>(h->data); });
      },
      t);
}

void init(Napi::Env env, Napi::Object exports) {
  start_idle_trim(env);
  Napi::Object pool = Napi::Object::New(env);
  pool.Set("float32", Napi::Function::New<Float32>(env, "float32"));
  pool.Set("trim", Napi::Function::New<Trim>(env, "trim"));
  pool.Set("stats", Napi::Function::New<StatsOf>(env, "stats"));
  exports.Set("resultPool", pool);
}

}  // namespace dilemma::addon::result_pool
