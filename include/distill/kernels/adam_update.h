// One Adam or AdamW step over a parameter buffer in a single pass, with the update rule of
// torch::optim::Adam / AdamW (the reference it is tested against): libtorch's step reads and
// writes the parameter-sized buffers about nine times (and allocates three temporaries), which on
// an embedding table of millions of rows is most of a training step.
#pragma once

#include <cstdint>

namespace distill::kernels {

struct AdamHyperparameters {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  /// AdamW: param ·= 1 − lr·wd before the step; Adam: grad += wd·param.
  bool decoupled_weight_decay = false;
  bool amsgrad = false;
};

/// Step number `step` (1 for the first) over `count` elements: with g = grad (+ wd·param for
/// Adam), m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², v̂ = amsgrad ? max(v̂, v) : v,
/// param −= lr/(1−β1^step) · m / (√v̂ / √(1−β2^step) + eps). max_exp_avg_sq is unused (may be
/// null) without amsgrad.
void adam_update_f32(const AdamHyperparameters& h, int64_t step, int64_t count, float* param,
                     const float* grad, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq);

}  // namespace distill::kernels
