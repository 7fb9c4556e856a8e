// One SGD step (weight decay, momentum with dampening, Nesterov) over a parameter buffer in a
// single pass, with the update rule of torch::optim::SGD (the reference it is tested against).
#pragma once

#include <cstdint>

namespace distill::kernels {

struct SgdHyperparameters {
  double learning_rate = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

/// For each i: d = grad + wd·param; with momentum, buf = first_step ? d : m·buf + (1−damp)·d and
/// d = nesterov ? d + m·buf : buf; then param −= lr·d. momentum_buffer is unused (may be null)
/// when momentum is 0.
void sgd_update_f32(const SgdHyperparameters& h, bool first_step, int64_t count, float* param,
                    const float* grad, float* momentum_buffer);

}  // namespace distill::kernels
