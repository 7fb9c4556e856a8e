// The fused SGD step.
#include "distill/kernels/sgd_update.h"

#include "cpu_dispatch.h"

namespace distill::kernels {

DISTILL_MULTIVERSIONED
void sgd_update_f32(const SgdHyperparameters& h, bool first_step, int64_t count, float* param,
                    const float* grad, float* momentum_buffer) {
  const float lr = static_cast<float>(h.learning_rate);
  const float wd = static_cast<float>(h.weight_decay);
  const float m = static_cast<float>(h.momentum);
  const float keep = static_cast<float>(1.0 - h.dampening);
  if (m == 0) {
    for (int64_t i = 0; i < count; ++i) param[i] -= lr * (grad[i] + wd * param[i]);
    return;
  }
  if (first_step) {
    for (int64_t i = 0; i < count; ++i) {
      const float d = grad[i] + wd * param[i];
      momentum_buffer[i] = d;
      param[i] -= lr * (h.nesterov ? d + m * d : d);
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const float d = grad[i] + wd * param[i];
    const float buf = m * momentum_buffer[i] + keep * d;
    momentum_buffer[i] = buf;
    param[i] -= lr * (h.nesterov ? d + m * buf : buf);
  }
}

}  // namespace distill::kernels
