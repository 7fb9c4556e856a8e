// Thread configuration.
#include "distill/core/threads.h"

#include <ATen/Parallel.h>

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

}  // namespace distill
