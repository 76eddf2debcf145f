#include "parallel.hpp"

#include "limits.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dilemma {

namespace {

std::atomic<int> chosen_threads{0};

// One parallel_for call: parts are claimed by index, by the caller and by
// any idle worker, so the split (and so every result) depends on the part
// count only, never on who runs a part.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n, parts;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::vector<std::exception_ptr> errors;
  std::mutex m;
  std::condition_variable finished;

  Job(const std::function<void(int64_t, int64_t)>* f, int64_t count, int64_t p) : fn(f), n(count), parts(p), errors(p) {}

  // Runs one unclaimed part; false when none is left to claim.
  bool run_one() {
    const int64_t p = next.fetch_add(1);
    if (p >= parts) return false;
    try {
      (*fn)(n * p / parts, n * (p + 1) / parts);
    } catch (...) {
      errors[p] = std::current_exception();
    }
    if (done.fetch_add(1) + 1 == parts) {
      std::lock_guard<std::mutex> lock(m);
      finished.notify_all();
    }
    return true;
  }
};

// Workers started on first use and kept for the life of the process (never
// destroyed, so process exit never waits on them). Spawning threads per call
// cost more than the work of many small batched calls.
class Pool {
 public:
  // The job is shared: a worker may still hold it (finding nothing left to
  // claim) after the caller has returned.
  void run(const std::shared_ptr<Job>& ref) {
    Job& job = *ref;
    ensure_workers(static_cast<int>(std::min<int64_t>(job.parts - 1, 255)));
    {
      std::lock_guard<std::mutex> lock(m_);
      jobs_.push_back(ref);
    }
    wake_.notify_all();
    while (job.run_one()) {
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      remove(ref.get());
    }
    std::unique_lock<std::mutex> lock(job.m);
    job.finished.wait(lock, [&] { return job.done.load() == job.parts; });
  }

 private:
  void ensure_workers(int count) {
    std::lock_guard<std::mutex> lock(m_);
    while (static_cast<int>(workers_) < count) {
      std::thread([this] { work(); }).detach();
      ++workers_;
    }
  }

  void remove(Job* job) {
    jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(), [&](const auto& j) { return j.get() == job; }), jobs_.end());
  }

  void work() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return !jobs_.empty(); });
        job = jobs_.front();
        // Exhausted jobs leave the queue so that workers wait instead of spinning.
        if (job->next.load() >= job->parts) {
          remove(job.get());
          continue;
        }
      }
      while (job->run_one()) {
      }
    }
  }

  std::mutex m_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> jobs_;
  int workers_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

// Read once: glibc answers hardware_concurrency() by reading a sysfs file
// (an open, a read and a close), which cost more than a whole small rollout
// or credit call when it ran on every call.
int hardware_threads() {
  static const int n = [] {
    const unsigned c = std::thread::hardware_concurrency();
    return c == 0 ? 1 : static_cast<int>(std::min(c, 256u));
  }();
  return n;
}

int default_threads() {
  const int n = chosen_threads.load();
  return n > 0 ? n : hardware_threads();
}

void set_default_threads(int n) { chosen_threads.store(n > 0 ? std::min(n, limits::kMaxThreads) : 0); }

void parallel_for(int64_t n, int threads, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, n / std::max<int64_t>(1, min_chunk)));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  auto job = std::make_shared<Job>(&fn, n, parts);
  pool().run(job);
  for (auto& e : job->errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace dilemma
