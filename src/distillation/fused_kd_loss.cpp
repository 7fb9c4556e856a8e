// One-pass soft KD loss with its closed-form gradient:
//   dL/ds = alpha/B (softmax(s) - onehot(y)) + (1 - alpha) T/B (softmax(s/T) - softmax(t/T)).
#include "distill/distillation/fused_kd_loss.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "distill/core/error.h"

namespace distill::distillation {
namespace {

/// Loss of one row and its gradient (unscaled by 1/B) written to `grad`.
double row_loss_and_gradient(const float* s, const float* t, int64_t label, int64_t k,
                             double temperature, double alpha, float* grad) {
  double s_max = s[0], t_max = t[0];
  for (int64_t j = 1; j < k; ++j) {
    s_max = std::max<double>(s_max, s[j]);
    t_max = std::max<double>(t_max, t[j]);
  }
  // Log-sum-exps of s, s/T and t/T, shifted by their maxima for stability.
  double sum_s = 0, sum_st = 0, sum_tt = 0;
  for (int64_t j = 0; j < k; ++j) {
    sum_s += std::exp(s[j] - s_max);
    sum_st += std::exp((s[j] - s_max) / temperature);
    sum_tt += std::exp((t[j] - t_max) / temperature);
  }
  const double log_sum_s = std::log(sum_s), log_sum_st = std::log(sum_st);
  const double log_sum_tt = std::log(sum_tt);
  double kl = 0;
  for (int64_t j = 0; j < k; ++j) {
    const double log_q = (t[j] - t_max) / temperature - log_sum_tt;
    const double log_p_t = (s[j] - s_max) / temperature - log_sum_st;
    const double q = std::exp(log_q);
    kl += q * (log_q - log_p_t);
    double g = 0;
    if (alpha > 0) g += alpha * (std::exp(s[j] - s_max - log_sum_s) - (j == label ? 1.0 : 0.0));
    if (alpha < 1) g += (1 - alpha) * temperature * (std::exp(log_p_t) - q);
    grad[j] = static_cast<float>(g);
  }
  double loss = 0;
  if (alpha > 0) loss += alpha * (log_sum_s - (s[label] - s_max));
  if (alpha < 1) loss += (1 - alpha) * temperature * temperature * kl;
  return loss;
}

class FusedKdLoss : public torch::autograd::Function<FusedKdLoss> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& student,
                            const at::Tensor& teacher, const at::Tensor& labels,
                            double temperature, double alpha) {
    const at::Tensor s = student.contiguous(), t = teacher.contiguous(), y = labels.contiguous();
    const int64_t b = s.size(0), k = s.size(1);
    at::Tensor grad = at::empty_like(s);
    const float* sp = s.data_ptr<float>();
    const float* tp = t.data_ptr<float>();
    const int64_t* yp = y.data_ptr<int64_t>();
    float* gp = grad.data_ptr<float>();
    double total = 0;
    for (int64_t i = 0; i < b; ++i) {
      DISTILL_CHECK(yp[i] >= 0 && yp[i] < k, "label ", yp[i], " of sample ", i,
                    " is outside [0, ", k - 1, "]");
      total += row_loss_and_gradient(sp + i * k, tp + i * k, yp[i], k, temperature, alpha,
                                     gp + i * k);
    }
    ctx->save_for_backward({grad / static_cast<double>(b)});
    return at::scalar_tensor(total / static_cast<double>(b), s.options());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    const at::Tensor grad = ctx->get_saved_variables()[0];
    return {grad * grad_output[0], at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor fused_kd_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                         const at::Tensor& labels, const KdLossOptions& options) {
  validate_kd_loss_options(options);
  DISTILL_CHECK(student_logits.dim() == 2 && teacher_logits.sizes() == student_logits.sizes(),
                "fused KD loss needs (B, K) student and teacher logits of one shape, got ",
                student_logits.sizes(), " and ", teacher_logits.sizes());
  DISTILL_CHECK(labels.dim() == 1 && labels.size(0) == student_logits.size(0), "labels ",
                labels.sizes(), " do not match a batch of ", student_logits.size(0));
  DISTILL_CHECK(student_logits.scalar_type() == at::kFloat && student_logits.device().is_cpu(),
                "fused KD loss runs on float32 CPU tensors, got ", student_logits.scalar_type(),
                " on ", student_logits.device());
  return FusedKdLoss::apply(student_logits, teacher_logits.detach().to(at::kFloat),
                            labels.to(at::kLong), options.temperature, options.alpha);
}

}  // namespace distill::distillation
