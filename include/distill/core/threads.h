// The compute thread count: libtorch starts with one thread unless told otherwise.
#pragma once

#include <cstdint>

namespace distill {

/// Sets libtorch's intra-op thread count; 0 means every core. Returns the count in effect.
int64_t configure_threads(int64_t requested);

}  // namespace distill
