// Reference implementations of the distillation losses in plain ATen operations.
#include "distill/distillation/kd_loss.h"

#include <ATen/ATen.h>

#include <cmath>

#include "distill/core/error.h"

namespace distill::distillation {
namespace {

void check_logit_shapes(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                        const at::Tensor& labels) {
  DISTILL_CHECK(student_logits.dim() == 2, "student logits must be (B, K), got ",
                student_logits.sizes());
  DISTILL_CHECK(teacher_logits.sizes() == student_logits.sizes(), "teacher logits ",
                teacher_logits.sizes(), " do not match student logits ", student_logits.sizes(),
                " (do teacher and student have the same number of classes?)");
  DISTILL_CHECK(labels.dim() == 1 && labels.size(0) == student_logits.size(0), "labels ",
                labels.sizes(), " do not match a batch of ", student_logits.size(0));
}

}  // namespace

void validate_kd_loss_options(const KdLossOptions& options) {
  DISTILL_CHECK(std::isfinite(options.temperature) && options.temperature > 0,
                "distillation temperature must be > 0, got ", options.temperature);
  DISTILL_CHECK(options.alpha >= 0.0 && options.alpha <= 1.0,
                "distillation alpha must lie in [0, 1], got ", options.alpha);
}

at::Tensor kd_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                   const at::Tensor& labels, const KdLossOptions& options) {
  validate_kd_loss_options(options);
  check_logit_shapes(student_logits, teacher_logits, labels);
  const double t = options.temperature;
  at::Tensor loss;
  if (options.alpha > 0.0) {
    loss = options.alpha * at::nll_loss(at::log_softmax(student_logits, 1), labels);
  }
  if (options.alpha < 1.0) {
    const at::Tensor teacher_log_probs = at::log_softmax(teacher_logits.detach() / t, 1);
    const at::Tensor student_log_probs = at::log_softmax(student_logits / t, 1);
    // KL(q || p) = sum_k q_k (log q_k - log p_k); batch mean.
    const at::Tensor kl = (teacher_log_probs.exp() * (teacher_log_probs - student_log_probs))
                              .sum(1)
                              .mean();
    const at::Tensor term = (1.0 - options.alpha) * t * t * kl;
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

at::Tensor pseudo_label_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                             const at::Tensor& labels, double alpha) {
  validate_kd_loss_options({1.0, alpha});
  check_logit_shapes(student_logits, teacher_logits, labels);
  const at::Tensor log_probs = at::log_softmax(student_logits, 1);
  at::Tensor loss;
  if (alpha > 0.0) loss = alpha * at::nll_loss(log_probs, labels);
  if (alpha < 1.0) {
    const at::Tensor term = (1.0 - alpha) * at::nll_loss(log_probs, teacher_logits.argmax(1));
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

}  // namespace distill::distillation
