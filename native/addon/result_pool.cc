#include "result_pool.hpp"

#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

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
  uint64_t reused = 0, fresh = 0, refused = 0, reclaimed_early = 0;
};

State& state() {
  // Never destroyed: finalizers may still give blocks back while the
  // process exits.
  static auto* s = new State();
  return *s;
}

// A block of at least kMinBytes, new from the system: zero-filled, and on
// Linux mapped outside the C library's heap, so freeing other memory never
// trims it away while it is kept. A block that may be kept has its pages
// made present in one call (ten times cheaper than a fault per page on a
// loaded machine); larger ones are never kept and fault in as they are
// written, like any large allocation.
void* map_block(size_t size) {
#if defined(__linux__) && defined(MAP_POPULATE)
  const int populate = size <= kKeepLargest ? MAP_POPULATE : 0;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
#else
  return std::calloc(size, 1);
#endif
}

void unmap_block(void* p, size_t size) {
#if defined(__linux__) && defined(MAP_POPULATE)
  munmap(p, size);
#else
  (void)size;
  std::free(p);
#endif
}

// Under the mutex: moves the blocks idle past kIdleSeconds (or all) into `out`.
void collect(State& s, bool all, std::vector<Kept>* out) {
  const Clock::time_point now = Clock::now();
  size_t w = 0;
  for (size_t r = 0; r < s.kept.size(); ++r) {
    const Kept& k = s.kept[r];
    if (all || std::chrono::duration<double>(now - k.since).count() > kIdleSeconds) {
      out->push_back(k);
      s.kept_bytes -= k.size;
    } else {
      s.kept[w++] = k;
    }
  }
  s.kept.resize(w);
}

void free_all(const std::vector<Kept>& blocks) {
  for (const Kept& k : blocks) unmap_block(k.memory, k.size);
}

void* take_impl(size_t bytes, bool zero, bool limited) {
  const size_t size = block_size(bytes);
  if (bytes < kMinBytes) return zero ? std::calloc(size, 1) : std::malloc(size);
  State& s = state();
  std::vector<Kept> idle;
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
  memory = map_block(size);
  if (memory == nullptr) {
    trim();
    memory = map_block(size);
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
  std::vector<Kept> idle;
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
  if (!keep) unmap_block(block, size);
}

size_t trim() {
  State& s = state();
  std::vector<Kept> all;
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
  r.reclaimed_early = s.reclaimed_early;
  return r;
}

namespace {

struct Handout;

// One environment's results that may come back by weak reference. Used on
// that environment's JavaScript thread only; shared with its handouts,
// whose finalizers may run after the environment's cleanup hook.
struct Tracker {
  bool early = false;  // the weak signal is sound here (see the header)
  std::vector<Handout*> live;
  size_t takes_since_scan = 0;
};

// A block lent to one ArrayBuffer. Deleted by the buffer's finalizer, which
// gives the block back unless a cleared weak reference did so first.
struct Handout {
  void* memory;
  size_t bytes;
  bool limited;
  std::shared_ptr<Tracker> tracker;
  napi_ref ref = nullptr;  // weak, to the ArrayBuffer; null once taken back
  size_t index = SIZE_MAX;  // position in tracker->live
  // The owner's, when it decides when the block goes back; else give().
  void (*release)(void* context) = nullptr;
  void* context = nullptr;
};

std::mutex trackers_mutex;
std::unordered_map<napi_env, std::shared_ptr<Tracker>>& trackers() {
  static auto* map = new std::unordered_map<napi_env, std::shared_ptr<Tracker>>();
  return *map;
}

std::shared_ptr<Tracker> tracker_of(napi_env env) {
  std::lock_guard<std::mutex> lock(trackers_mutex);
  auto it = trackers().find(env);
  return it == trackers().end() ? nullptr : it->second;
}

void unlist(Handout* h) {
  if (h->index == SIZE_MAX) return;
  std::vector<Handout*>& live = h->tracker->live;
  live[h->index] = live.back();
  live[h->index]->index = h->index;
  live.pop_back();
  h->index = SIZE_MAX;
}

// The block goes back, kept or freed.
void return_block(Handout* h) {
  if (h->release != nullptr)
    h->release(h->context);
  else
    give(h->memory, h->bytes, h->limited);
  h->memory = nullptr;
}

// Takes back the blocks of results V8 has found dead. Scanning costs a
// reference lookup per live result, so it runs once per live.size()/8 takes
// at most: a caller that holds many results pays a bounded share per call.
void reclaim(napi_env env, Tracker& t) {
  if (!t.early || t.live.empty()) return;
  if (++t.takes_since_scan * 8 < t.live.size()) return;
  t.takes_since_scan = 0;
  napi_handle_scope scope = nullptr;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  uint64_t count = 0;
  for (size_t i = t.live.size(); i-- > 0;) {
    Handout* h = t.live[i];
    napi_value value = nullptr;
    if (napi_get_reference_value(env, h->ref, &value) != napi_ok || value != nullptr) continue;
    napi_delete_reference(env, h->ref);
    h->ref = nullptr;
    unlist(h);
    return_block(h);
    ++count;
  }
  napi_close_handle_scope(env, scope);
  if (count > 0) {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.reclaimed_early += count;
  }
}

}  // namespace

void* take_for(Napi::Env env, size_t bytes, bool zero, bool limited) {
  if (bytes >= kMinBytes) {
    if (std::shared_ptr<Tracker> t = tracker_of(env)) reclaim(env, *t);
  }
  return take_impl(bytes, zero, limited);
}

namespace {

Napi::ArrayBuffer lend(Napi::Env env, Handout* h) {
  void* const block = h->memory;
  const size_t bytes = h->bytes;
  // From here the block goes back only through release (the buffer's
  // finalizer, or external_buffer's own call on failure) or reclaim().
  Napi::ArrayBuffer buffer = external_buffer(
      env, block, bytes,
      [](napi_env e, void* hint) {
        auto* h = static_cast<Handout*>(hint);
        if (h->tracker) unlist(h);
        if (h->ref != nullptr) napi_delete_reference(e, h->ref);
        if (h->memory != nullptr) return_block(h);
        delete h;
      },
      h, false);
  // V8 runs a young-generation collection (a scavenge) when it allocates an
  // ArrayBuffer's memory itself and the young ArrayBuffers already hold
  // twice the semi-space's size. Memory it is handed never triggers that
  // check, so only its external-memory limit collected these buffers: a
  // mark-compact with incremental marking every 64 MiB, several times a
  // scavenge's pause (bench/results/credit-sync.txt). A one-byte buffer V8
  // allocates itself makes it check.
  if (bytes >= kMinBytes) {
    void* unused = nullptr;
    napi_value nudge = nullptr;
    napi_create_arraybuffer(env, 1, &unused, &nudge);
  }
  // Tracked only when the weak signal is sound; a failed reference leaves
  // the block to the finalizer.
  if (h->tracker && h->tracker->early && napi_create_reference(env, buffer, 0, &h->ref) == napi_ok) {
    h->index = h->tracker->live.size();
    h->tracker->live.push_back(h);
  }
  return buffer;
}

}  // namespace

Napi::ArrayBuffer hand_out(Napi::Env env, void* block, size_t bytes, bool limited) {
  return lend(env, new Handout{block, bytes, limited, bytes >= kMinBytes ? tracker_of(env) : nullptr});
}

Napi::ArrayBuffer hand_out(Napi::Env env, void* block, size_t bytes, void (*release)(void* context), void* context) {
  auto* h = new Handout{block, bytes, false, bytes >= kMinBytes ? tracker_of(env) : nullptr};
  h->release = release;
  h->context = context;
  return lend(env, h);
}

Napi::Value pooled_float32(Napi::Env env, int64_t length) {
  check_result_bytes("a result array", length, sizeof(float));
  const size_t bytes = static_cast<size_t>(length) * sizeof(float);
  if (bytes < kMinBytes) return env.Undefined();
  void* memory = take_for(env, bytes, false, true);
  if (memory == nullptr) return env.Undefined();
  Napi::ArrayBuffer buffer = hand_out(env, memory, bytes, true);
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
  put(o, "reclaimedEarly", Napi::Number::New(env, static_cast<double>(s.reclaimed_early)));
  const std::shared_ptr<Tracker> t = tracker_of(env);
  put(o, "earlyReclaim", Napi::Boolean::New(env, t != nullptr && t->early));
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
        std::vector<Kept> idle;
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

// Whether JavaScript cannot move a result's memory to another ArrayBuffer
// (ArrayBuffer.prototype.transfer and transferToFixedLength, where they
// exist, refuse an external buffer made as results are made), which makes a
// cleared weak reference proof that no JavaScript views the memory.
bool memory_cannot_move(Napi::Env env) {
  Napi::Value ctor = env.Global().Get("ArrayBuffer");
  if (!ctor.IsObject()) return false;
  Napi::Value proto = ctor.As<Napi::Object>().Get("prototype");
  if (!proto.IsObject()) return false;
  for (const char* name : {"transfer", "transferToFixedLength"}) {
    Napi::Value method = proto.As<Napi::Object>().Get(name);
    if (method.IsUndefined()) continue;
    if (!method.IsFunction()) return false;
    void* probe = std::malloc(16);
    if (probe == nullptr) return false;
    Napi::ArrayBuffer buffer = external_buffer(
        env, probe, 16, [](napi_env, void* p) { std::free(p); }, probe, false);
    try {
      method.As<Napi::Function>().Call(buffer, {});
    } catch (const Napi::Error&) {
      continue;  // refused: the memory stays with its buffer
    }
    return false;
  }
  return true;
}

void register_tracker(Napi::Env env) {
  auto t = std::make_shared<Tracker>();
  try {
    t->early = memory_cannot_move(env);
  } catch (const Napi::Error&) {
    t->early = false;
  }
  {
    std::lock_guard<std::mutex> lock(trackers_mutex);
    trackers()[env] = t;
  }
  // The environment's remaining buffers are finalized as it is torn down;
  // their blocks come back through the finalizer from then on.
  napi_add_env_cleanup_hook(
      env,
      [](void* arg) {
        auto e = static_cast<napi_env>(arg);
        std::lock_guard<std::mutex> lock(trackers_mutex);
        auto it = trackers().find(e);
        if (it != trackers().end()) {
          it->second->early = false;
          trackers().erase(it);
        }
      },
      static_cast<napi_env>(env));
}

void init(Napi::Env env, Napi::Object exports) {
  start_idle_trim(env);
  register_tracker(env);
  Napi::Object pool = Napi::Object::New(env);
  pool.Set("float32", Napi::Function::New<Float32>(env, "float32"));
  pool.Set("trim", Napi::Function::New<Trim>(env, "trim"));
  pool.Set("stats", Napi::Function::New<StatsOf>(env, "stats"));
  exports.Set("resultPool", pool);
}

}  // namespace dilemma::addon::result_pool
