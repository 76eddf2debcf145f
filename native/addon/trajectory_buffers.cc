#include "trajectory_buffers.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "result_pool.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

struct OwnedBuffer {
  void* data;
  size_t bytes;
  std::atomic<int> refs{1};  // the JavaScript array's, plus one per lease
  bool busy = false;         // touched on the main thread only
};

namespace {

// Buffers by address, for every environment (worker thread) loading the addon.
std::mutex registry_mutex;
std::unordered_map<const void*, OwnedBuffer*>& registry() {
  static auto* map = new std::unordered_map<const void*, OwnedBuffer*>();
  return *map;
}

// Released buffers' memory goes back to the addon's pool of result blocks
// (result_pool.hpp): a rollout's arrays are fresh on every call, and memory
// the system hands out anew costs a page fault per 4 KiB on first touch,
// more than the rollout's own work. The JavaScript array's reference is
// dropped at the garbage collection that finds it dead where the runtime
// allows it (result_pool::hand_out): a loop of awaited rollouts that run
// inline never turns the event loop, where Node runs finalizers.
void unref(OwnedBuffer* b) {
  if (b->refs.fetch_sub(1) != 1) return;
  result_pool::give(b->data, b->bytes);
  delete b;
}

// No JavaScript can view the buffer any more (its ArrayBuffer was found
// dead or finalized: result_pool::hand_out): `out` can no longer name it,
// and its memory goes back once no job holds it either.
void release_owned(void* context) {
  auto* b = static_cast<OwnedBuffer*>(context);
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(b->data);
    if (it != registry().end() && it->second == b) registry().erase(it);
  }
  unref(b);
}

OwnedBuffer* find(const void* data) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry().find(data);
  return it == registry().end() ? nullptr : it->second;
}

}  // namespace

void BufferLease::add(OwnedBuffer* b) {
  b->refs.fetch_add(1);
  if (marks_busy_) b->busy = true;
  held_.push_back(b);
}

bool BufferLease::add_if_owned(const void* data, size_t bytes) {
  OwnedBuffer* owned = data != nullptr ? find(data) : nullptr;
  if (owned == nullptr || owned->bytes != bytes) return false;
  add(owned);
  return true;
}

bool BufferLease::busy() const {
  for (const OwnedBuffer* b : held_)
    if (b->busy) return true;
  return false;
}

void BufferLease::set_busy(bool busy) {
  for (OwnedBuffer* b : held_) b->busy = busy;
}

void BufferLease::release() {
  for (OwnedBuffer* b : held_) {
    if (marks_busy_) b->busy = false;
    unref(b);
  }
  held_.clear();
}

template <typename T>
Napi::TypedArrayOf<T> new_owned_array(Napi::Env env, int64_t length, BufferLease* lease, bool zero) {
  check_result_bytes("a result array", length, sizeof(T));
  const size_t n = static_cast<size_t>(length), bytes = n * sizeof(T);
  // Our own allocation: a failure becomes ERR_OUT_OF_MEMORY where V8 would
  // abort the process.
  void* memory = result_pool::take_for(env, bytes, zero, false);
  if (memory == nullptr)
    throw_error(env, codes::kOutOfMemory,
                "out of memory: cannot allocate " + std::to_string(bytes) + " bytes for a result array of " +
                    std::to_string(n) + " elements");
  auto* owned = new OwnedBuffer{memory, bytes};
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry()[memory] = owned;
  }
  // Not reported as external memory: V8 counts the ArrayBuffer's length
  // itself (typed_out.hpp, external_buffer).
  Napi::ArrayBuffer buffer = result_pool::hand_out(env, memory, bytes, release_owned, owned);
  if (lease) lease->add(owned);
  return Napi::TypedArrayOf<T>::New(env, n, buffer, 0);
}

template <typename T>
T* lease_owned_array(Napi::Env env, const Napi::Value& value, const std::string& name, int64_t length,
                     const std::string& expected_shape, BufferLease* lease) {
  bool shared = false;
  const ArrayView<T> view = typed_array<T>(env, value, name, -1, &shared);
  if (shared)
    throw_error(env, codes::kInvalidArgument, name + " is backed by a SharedArrayBuffer; the engine writes into its own buffers only");
  const size_t n = view.length;
  T* const data = view.data;
  if (n != static_cast<size_t>(length))
    throw_error(env, codes::kInvalidArgument,
                name + " must have " + std::to_string(length) + " elements (" + expected_shape + "), got " +
                    std::to_string(n));
  if (length == 0) return data;  // nothing written
  // A view that starts past its buffer's first byte never equals an owned buffer's start.
  OwnedBuffer* owned = data != nullptr ? find(data) : nullptr;
  // Written before we return: any memory will do, but not an array a job
  // running off the event loop is writing too.
  if (lease == nullptr) {
    if (owned != nullptr && owned->busy)
      throw_error(env, codes::kInvalidArgument, name + " is in use by a rollout that has not finished");
    return data;
  }
  if (owned == nullptr || owned->bytes != n * sizeof(T))
    throw_error(env, codes::kInvalidArgument,
                name + " was not allocated by the engine: a rollout that runs off the event loop writes only into "
                       "arrays from allocateTrajectory() or from an earlier such rollout");
  if (owned->busy)
    throw_error(env, codes::kInvalidArgument,
                name + " is in use by a rollout that has not finished (or appears twice in this call)");
  lease->add(owned);
  return data;
}

#define DILEMMA_OWNED(T)                                                                                      \
  template Napi::TypedArrayOf<T> new_owned_array<T>(Napi::Env, int64_t, BufferLease*, bool);                      \
  template T* lease_owned_array<T>(Napi::Env, const Napi::Value&, const std::string&, int64_t, const std::string&, \
                                   BufferLease*);
DILEMMA_OWNED(float)
DILEMMA_OWNED(int32_t)
DILEMMA_OWNED(uint8_t)
#undef DILEMMA_OWNED

}  // namespace dilemma::addon
