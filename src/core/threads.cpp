// Thread configuration.
#include "distill/core/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <mutex>
#include <set>
#include <thread>

#include "distill/core/error.h"

// at::parallel_for splits a loop over threads only where the including file is compiled with the
// backend's flags (-fopenmp for an OpenMP libtorch, Debian's); without them every loop in
// distill's kernels would run on one thread and nothing would fail.
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "distill_core must be compiled with OpenMP, as libtorch is (link OpenMP::OpenMP_CXX)"
#endif

namespace distill {

int64_t configure_threads(int64_t requested) {
  DISTILL_CHECK(requested >= 0, "thread count must be >= 0 (0: every core), got ", requested);
  const int64_t count =
      requested > 0 ? requested : std::max<int64_t>(1, std::thread::hardware_concurrency());
  at::set_num_threads(static_cast<int>(count));
  return count;
}

bool set_openblas_threads(int threads) {
  DISTILL_CHECK(threads >= 1, "OpenBLAS thread count must be >= 1, got ", threads);
  using SetThreads = void (*)(int);
  const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set == nullptr) return false;
  set(threads);
  return true;
}

int openblas_threads() {
  using GetThreads = int (*)();
  const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get == nullptr ? 0 : get();
}

int64_t parallel_for_threads(int64_t items) {
  DISTILL_CHECK(items >= 1, "item count must be >= 1, got ", items);
  std::mutex mutex;
  std::set<int> threads;
  at::parallel_for(0, items, /*grain_size=*/1, [&](int64_t, int64_t) {
    const std::lock_guard<std::mutex> lock(mutex);
    threads.insert(at::get_thread_num());
  });
  return static_cast<int64_t>(threads.size());
}

}  // namespace distill
