// The knowledge-distillation losses (Hinton et al. 2015): softened teacher targets and the
// hard pseudo-label variant.
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::distillation {

// B = batch, K = classes.

struct KdLossOptions {
  /// Softening temperature T > 0: targets are softmax(teacher_logits / T).
  double temperature = 4.0;
  /// Weight of the label cross-entropy, in [0, 1]; the distillation term gets 1 - alpha.
  double alpha = 0.1;
};

/// Throws distill::Error unless temperature > 0 (and finite) and alpha in [0, 1].
void validate_kd_loss_options(const KdLossOptions& options);

/// alpha * CE(labels, student) + (1 - alpha) * T^2 * KL(softmax(teacher/T) || softmax(student/T)),
/// averaged over the batch. A term whose weight is 0 is not computed, so alpha = 1 is exactly the
/// cross-entropy and alpha = 0 exactly the scaled KL. The teacher logits are treated as constants.
/// student_logits: (B, K); teacher_logits: (B, K); labels: (B) int64 -> scalar
at::Tensor kd_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                   const at::Tensor& labels, const KdLossOptions& options);

/// alpha * CE(labels, student) + (1 - alpha) * CE(argmax teacher, student): training on the
/// teacher's hard pseudo-labels. Shapes as kd_loss.
at::Tensor pseudo_label_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                             const at::Tensor& labels, double alpha);

}  // namespace distill::distillation
