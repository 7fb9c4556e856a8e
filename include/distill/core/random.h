// Seeds: every random stream in distill (initialisation, shuffling, augmentation, dropout) is
// derived from the run's seed, so a run, or a resumed run, is reproducible on the CPU.
#pragma once

#include <cstdint>

namespace distill {

/// A 64-bit seed derived from a base seed and a stream number (SplitMix64 mixing), so separate
/// random streams never share a seed.
uint64_t derive_seed(uint64_t seed, uint64_t stream);

/// Reseeds libtorch's default CPU generator (used by weight initialisation and dropout).
void seed_default_generator(uint64_t seed);

}  // namespace distill
