// Inverted dropout on raw fp32 buffers with a counter-based mask: element i is kept when a hash
// of (seed, i) clears the drop threshold, so the backward pass recomputes the mask instead of
// storing it, and the result does not depend on how the work is split across threads.
#pragma once

#include <cstdint>

namespace distill::kernels {

struct DropoutMask {
  uint64_t seed = 0;
  /// Probability of dropping an element, in [0, 1).
  float drop_probability = 0;
};

/// True when element `index` survives.
bool dropout_keeps(const DropoutMask& mask, uint64_t index);

/// out[i] = keeps(first + i) ? in[i] / (1 - p) : 0 for i in [0, count). in and out may alias.
/// Used for the forward pass (in = x) and the backward pass (in = dy) alike.
void apply_dropout_f32(const DropoutMask& mask, uint64_t first, int64_t count, const float* in,
                       float* out);

}  // namespace distill::kernels
