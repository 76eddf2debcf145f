// Trajectory arrays the engine allocates itself (rollout results and
// allocateTrajectory), so that a later rollout may write into them again
// (the `out` option). The memory is reference-counted: a rollout running off
// the event loop holds its arrays' memory, so nothing JavaScript does
// meanwhile (dropping, transferring or detaching an array) can free memory a
// worker thread is writing.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dilemma::addon {

struct OwnedBuffer;

// Holds the memory of arrays a job writes into and marks them busy, so that
// a second job cannot write into them until this one has finished. A
// lasting hold (marks_busy false: a rollout plan's trajectory) keeps the
// memory alive without marking it; its owner marks it around each run.
class BufferLease {
 public:
  BufferLease() = default;
  explicit BufferLease(bool marks_busy) : marks_busy_(marks_busy) {}
  BufferLease(const BufferLease&) = delete;
  BufferLease& operator=(const BufferLease&) = delete;
  BufferLease(BufferLease&& other) noexcept : held_(std::move(other.held_)), marks_busy_(other.marks_busy_) {}
  ~BufferLease() { release(); }
  void release();
  void add(OwnedBuffer* b);
  // Holds the engine-owned buffer of exactly these bytes at data, if there
  // is one; false otherwise (memory JavaScript allocated).
  bool add_if_owned(const void* data, size_t bytes);
  // Whether any held buffer is marked busy (by a job or by set_busy).
  bool busy() const;
  // Marks (or clears) every held buffer busy. Main thread only.
  void set_busy(bool busy);

 private:
  std::vector<OwnedBuffer*> held_;
  bool marks_busy_ = true;
};

// A typed array of `length` elements in engine-owned memory, taken by the
// lease (may be null) until the lease is released. Zero-filled when zero,
// else uninitialised: for a job that writes every element before JavaScript
// can see the array (recycled heap memory then costs neither a fill nor a
// page fault).
template <typename T>
Napi::TypedArrayOf<T> new_owned_array(Napi::Env env, int64_t length, BufferLease* lease, bool zero = true);

// The memory of `value` (field `name`, e.g. "options.out.actions") for a
// job to write into: it must be a T typed array of exactly `length`
// elements over an ArrayBuffer that is not detached (a SharedArrayBuffer is
// refused). For a job that runs off the event loop (lease not null) it must
// also cover a whole engine-owned buffer not already in use, and the lease
// takes it; a job that runs before the call returns can write into any
// array, unless it is an engine-owned one that a running job holds.
// expected_shape names the shape for the error message.
template <typename T>
T* lease_owned_array(Napi::Env env, const Napi::Value& value, const std::string& name, int64_t length,
                     const std::string& expected_shape, BufferLease* lease);

}  // namespace dilemma::addon
