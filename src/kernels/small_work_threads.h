// Small products run on one thread: waking a second OpenMP thread costs more than it saves
// (measured: 256×100×784 takes 54 µs on one core and 36 µs on two; 1×100×784 takes 1.3 µs on
// one and 25 µs on two, 70–110 µs when it sleeps between regions). Used by the fp32 and int8
// oneDNN GEMMs.
#pragma once

#include <omp.h>

#include <cstdint>

namespace distill::kernels {

/// Products below this many multiply-adds run on one thread.
inline constexpr int64_t kSingleThreadMacs = int64_t{1} << 22;

/// Runs the calling thread's OpenMP regions (oneDNN's) on one thread while alive, for small work.
class SingleThreadForSmallWork {
 public:
  explicit SingleThreadForSmallWork(int64_t macs)
      : previous_(macs < kSingleThreadMacs && !omp_in_parallel() ? omp_get_max_threads() : 0) {
    if (previous_ > 1) omp_set_num_threads(1);
  }
  ~SingleThreadForSmallWork() {
    if (previous_ > 1) omp_set_num_threads(previous_);
  }
  SingleThreadForSmallWork(const SingleThreadForSmallWork&) = delete;
  SingleThreadForSmallWork& operator=(const SingleThreadForSmallWork&) = delete;

 private:
  int previous_;
};

}  // namespace distill::kernels
