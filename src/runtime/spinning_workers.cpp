// The spinning worker pool.
#include "spinning_workers.h"

#include <omp.h>

#include <chrono>

#include "distill/core/error.h"

namespace distill::runtime {
namespace {

/// How long an idle worker spins before it blocks, and for how much of that it spins without
/// yielding: a yield between polls delayed a back-to-back batch's start by ~1 µs (32.5 → 31.6 µs
/// per batch of 256 for the default student), yet a worker that never yields while another
/// process wants its core holds that core for the whole spin.
constexpr std::chrono::microseconds kSpinTime{1000};
constexpr std::chrono::microseconds kBusySpinTime{100};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Runs the calling thread's OpenMP regions on one thread while alive.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneOpenMpThread() { omp_set_num_threads(previous_); }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int previous_;
};

}  // namespace

SpinningWorkers::SpinningWorkers(int threads) {
  DISTILL_CHECK(threads >= 1, "a worker pool needs at least 1 thread, got ", threads);
  has_task_ = std::make_unique<std::atomic<bool>[]>(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) has_task_[i] = false;
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
}

SpinningWorkers::~SpinningWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void SpinningWorkers::run(int count, const std::function<void(int)>& task) {
  DISTILL_CHECK(count >= 1 && count <= threads(), "asked for ", count, " tasks on ", threads(),
                " threads");
  failure_ = nullptr;
  if (count > 1) {
    task_ = &task;
    pending_.store(count - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);  // a worker about to block sees the flag
      for (int i = 1; i < count; ++i) has_task_[i].store(true, std::memory_order_release);
    }
    wake_.notify_all();
  }
  try {
    OneOpenMpThread one_thread;
    task(0);
  } catch (...) {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    if (!failure_) failure_ = std::current_exception();
  }
  // Spin briefly, then yield: should a worker share this core with the caller (another process
  // busy on the other one), spinning would only delay it by a whole time slice.
  for (int spins = 0; pending_.load(std::memory_order_acquire) > 0; ++spins) {
    if (spins < 1000)
      cpu_relax();
    else
      std::this_thread::yield();
  }
  if (failure_) std::rethrow_exception(failure_);
}

void SpinningWorkers::work(int index) {
  omp_set_num_threads(1);
  std::atomic<bool>& has_task = has_task_[index];
  for (;;) {
    // Spin a while for the next task, then block until it comes.
    const auto idle_since = std::chrono::steady_clock::now();
    for (;;) {
      if (has_task.load(std::memory_order_acquire) || stopping_.load(std::memory_order_relaxed))
        break;
      const auto idle = std::chrono::steady_clock::now() - idle_since;
      if (idle >= kSpinTime) break;
      for (int i = 0; i < 4; ++i) cpu_relax();  // a pause is ~25 ns here: poll every ~0.1 µs
      if (idle >= kBusySpinTime) std::this_thread::yield();  // lets a waiting thread run
    }
    if (!has_task.load(std::memory_order_acquire)) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return has_task.load(std::memory_order_acquire) || stopping_.load(); });
    }
    if (!has_task.load(std::memory_order_acquire)) return;  // stopping
    try {
      (*task_)(index);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
    has_task.store(false, std::memory_order_relaxed);
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace distill::runtime
