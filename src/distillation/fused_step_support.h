// What the fused optimizers (fused_sgd.cpp, fused_adam.cpp) share: which parameters their kernels
// take, and how finely a step is split among threads.
#pragma once

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cstdint>

namespace distill::distillation {

/// Elements per thread chunk: large enough that a chunk outlasts the cost of waking a thread.
inline constexpr int64_t kFusedStepGrainSize = 1 << 16;

/// Chunks start at multiples of this many elements (a cache line, four AVX-512 vectors): the
/// kernels run vector code over full vectors and scalar code over the rest, one rounding apart,
/// so chunk boundaries that moved with the thread count would move which elements round which
/// way. Aligned, a step computes the same bits on any number of threads.
inline constexpr int64_t kFusedStepAlignment = 64;

/// Calls step(begin, count) over [0, elements) in chunks split among the threads, every chunk
/// but the last starting and ending at a multiple of kFusedStepAlignment.
template <typename Step>
void for_each_fused_step_chunk(int64_t elements, const Step& step) {
  const int64_t blocks = (elements + kFusedStepAlignment - 1) / kFusedStepAlignment;
  at::parallel_for(0, blocks, kFusedStepGrainSize / kFusedStepAlignment,
                   [&](int64_t first_block, int64_t end_block) {
                     const int64_t begin = first_block * kFusedStepAlignment;
                     step(begin, std::min(elements, end_block * kFusedStepAlignment) - begin);
                   });
}

/// Whether a fused kernel can step `p` in place: float32, CPU, contiguous, with a dense float32
/// contiguous gradient (the caller checks that the gradient is defined).
inline bool fused_step_applies(const at::Tensor& p) {
  const at::Tensor& grad = p.grad();
  return p.device().is_cpu() && p.scalar_type() == at::kFloat && p.is_contiguous() &&
         grad.scalar_type() == at::kFloat && grad.is_contiguous() && !grad.is_sparse();
}

}  // namespace distill::distillation
