// A small pool of worker threads for splitting one forward pass's batch, which spin briefly
// between calls instead of sleeping. OpenMP's threads sleep after a region (at once under
// OMP_WAIT_POLICY=PASSIVE, after a short spin under the CLI's GOMP_SPINCOUNT), and waking one
// costs ~50 µs — more than half of a whole batch-256 int8 forward pass (measured: 88 µs passive,
// 36 µs spinning); the runtime does not depend on how the process set OpenMP. These
// workers spin for up to a millisecond after each task, so back-to-back calls find them awake,
// then block. Every worker runs its oneDNN calls on one OpenMP thread: the slices are the
// parallelism.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace distill::runtime {

class SpinningWorkers {
 public:
  /// threads: the calling thread plus threads − 1 workers (threads >= 1).
  explicit SpinningWorkers(int threads);
  ~SpinningWorkers();
  SpinningWorkers(const SpinningWorkers&) = delete;
  SpinningWorkers& operator=(const SpinningWorkers&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs task(0) … task(count − 1) at once, task 0 on the calling thread, each on one OpenMP
  /// thread; returns when all have finished and rethrows the first exception one threw.
  /// count <= threads(). One call at a time.
  void run(int count, const std::function<void(int)>& task);

 private:
  void work(int index);

  std::vector<std::thread> workers_;
  /// has_task_[i]: worker i (1-based; slot 0 unused) has task_(i) to run; it clears the flag when
  /// done. Set only by run(), so a worker never sees a task twice.
  std::unique_ptr<std::atomic<bool>[]> has_task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
  const std::function<void(int)>* task_ = nullptr;
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
};

}  // namespace distill::runtime
