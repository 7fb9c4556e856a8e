// The compute thread count: libtorch starts with one thread unless told otherwise.
#pragma once

#include <cstdint>

namespace distill {

/// Sets libtorch's intra-op thread count; 0 means every core. Returns the count in effect.
int64_t configure_threads(int64_t requested);

/// The BLAS library under libtorch keeps a thread pool of its own apart from libtorch's OpenMP
/// threads (OpenBLAS's pthreads build, Debian's). Sets that pool's thread count when the process
/// runs OpenBLAS (its `openblas_set_num_threads`, found at run time); returns false, changing
/// nothing, when it does not (MKL, a single-threaded BLAS).
bool set_openblas_threads(int threads);

/// OpenBLAS's thread count, or 0 when the process does not run OpenBLAS.
int openblas_threads();

/// How many threads `at::parallel_for` in distill's own code spreads `items` independent items
/// over, at the current thread count. `at::parallel_for` is a header template: built without the
/// OpenMP flags libtorch was built with, it runs every loop on the calling thread, silently — the
/// fused LSTM, dropout, embedding bag and optimizer steps were serial that way until the
/// fourteenth session. A check of the build, for tests and diagnostics.
int64_t parallel_for_threads(int64_t items);

}  // namespace distill
