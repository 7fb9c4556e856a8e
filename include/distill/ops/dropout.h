// Inverted dropout as an autograd operation: at::dropout (reference) or the fast path, a
// counter-based mask (kernels/dropout.h) that the backward pass recomputes instead of storing.
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::ops {

/// x with each element zeroed with probability p and the rest scaled by 1/(1−p) when training;
/// x itself otherwise. The fast path's mask is seeded from libtorch's default CPU generator, so
/// seeding that generator makes it reproducible. Any shape.
at::Tensor dropout(const at::Tensor& x, double p, bool training);

/// The fast path regardless of compute_path() (tests, benchmarks).
at::Tensor counter_dropout(const at::Tensor& x, double p, bool training);

}  // namespace distill::ops
