// The fused Adam/AdamW step. Compiled with -fno-math-errno (src/CMakeLists.txt) so that the
// square root vectorizes; its argument is never negative.
#include "distill/kernels/adam_update.h"

#include <algorithm>
#include <cmath>

#include "cpu_dispatch.h"

namespace distill::kernels {
namespace {

struct StepConstants {
  float beta1, keep1, beta2, keep2;  // keep = 1 − beta
  float sqrt_correction2;            // √(1 − β2^step)
  float step_size;                   // lr / (1 − β1^step)
  float eps, weight_decay;
  float decay;                       // 1 − lr·wd (AdamW)
};

// One loop per (decoupled, amsgrad) so that each vectorizes without branches.
template <bool kDecoupled, bool kAmsgrad>
DISTILL_MULTIVERSIONED void update(const StepConstants& c, int64_t count, float* param,
                                   const float* grad, float* exp_avg, float* exp_avg_sq,
                                   float* max_exp_avg_sq) {
  for (int64_t i = 0; i < count; ++i) {
    float p = param[i];
    float g = grad[i];
    if constexpr (kDecoupled) {
      p *= c.decay;
    } else {
      g += c.weight_decay * p;
    }
    const float m = c.beta1 * exp_avg[i] + c.keep1 * g;
    float v = c.beta2 * exp_avg_sq[i] + c.keep2 * (g * g);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    if constexpr (kAmsgrad) {
      v = std::max(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = v;
    }
    const float denominator = std::sqrt(v) / c.sqrt_correction2 + c.eps;
    param[i] = p - c.step_size * m / denominator;
  }
}

}  // namespace

void adam_update_f32(const AdamHyperparameters& h, int64_t step, int64_t count, float* param,
                     const float* grad, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq) {
  const double correction1 = 1 - std::pow(h.beta1, static_cast<double>(step));
  const double correction2 = 1 - std::pow(h.beta2, static_cast<double>(step));
  StepConstants c{};
  c.beta1 = static_cast<float>(h.beta1);
  c.keep1 = static_cast<float>(1 - h.beta1);
  c.beta2 = static_cast<float>(h.beta2);
  c.keep2 = static_cast<float>(1 - h.beta2);
  c.sqrt_correction2 = static_cast<float>(std::sqrt(correction2));
  c.step_size = static_cast<float>(h.learning_rate / correction1);
  c.eps = static_cast<float>(h.eps);
  c.weight_decay = static_cast<float>(h.weight_decay);
  c.decay = static_cast<float>(1 - h.learning_rate * h.weight_decay);
  const auto run = h.decoupled_weight_decay ? (h.amsgrad ? update<true, true> : update<true, false>)
                                            : (h.amsgrad ? update<false, true> : update<false, false>);
  run(c, count, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq);
}

}  // namespace distill::kernels
