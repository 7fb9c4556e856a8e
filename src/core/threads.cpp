// Thread configuration.
#include "distill/core/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <thread>

#include "distill/core/error.h"

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

}  // namespace distill
