#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace dilemma {

namespace {
std::atomic<int> chosen_threads{0};
}

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 256u));
}

int default_threads() {
  const int n = chosen_threads.load();
  return n > 0 ? n : hardware_threads();
}

void set_default_threads(int n) { chosen_threads.store(n > 0 ? std::min(n, 1024) : 0); }

void parallel_for(int64_t n, int threads, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, n / std::max<int64_t>(1, min_chunk)));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(parts);
  pool.reserve(parts - 1);
  auto run = [&](int64_t p) {
    const int64_t b0 = n * p / parts, b1 = n * (p + 1) / parts;
    try {
      fn(b0, b1);
    } catch (...) {
      errors[p] = std::current_exception();
    }
  };
  for (int64_t p = 1; p < parts; ++p) pool.emplace_back(run, p);
  run(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace dilemma
