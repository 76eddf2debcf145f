// Per-thread scratch buffers for hot loops.
#pragma once

#include <cstddef>
#include <vector>

namespace dilemma {

// n elements of a per-thread buffer kept between calls, one buffer per Tag
// (a type named at the call site), as a plain pointer: GCC recomputes a
// thread_local's address (a call into the dynamic loader, from a shared
// library such as the addon) wherever the object is named, inside loops too.
// Contents are whatever the last call on this thread left.
template <typename Tag, typename T>
T* thread_scratch(size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace dilemma
