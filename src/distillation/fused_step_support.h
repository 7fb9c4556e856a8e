// What the fused optimizers (fused_sgd.cpp, fused_adam.cpp) share: which parameters their kernels
// take, and how finely a step is split among threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace distill::distillation {

/// Elements per thread chunk: large enough that a chunk outlasts the cost of waking a thread.
inline constexpr int64_t kFusedStepGrainSize = 1 << 16;

/// Whether a fused kernel can step `p` in place: float32, CPU, contiguous, with a dense float32
/// contiguous gradient (the caller checks that the gradient is defined).
inline bool fused_step_applies(const at::Tensor& p) {
  const at::Tensor& grad = p.grad();
  return p.device().is_cpu() && p.scalar_type() == at::kFloat && p.is_contiguous() &&
         grad.scalar_type() == at::kFloat && grad.is_contiguous() && !grad.is_sparse();
}

}  // namespace distill::distillation
