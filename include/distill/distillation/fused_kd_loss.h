// The soft distillation loss in one pass per row: temperature softmaxes, KL and cross-entropy,
// and the gradient, computed together. The reference is kd_loss (kd_loss.h); tests hold the two
// together in value and gradient.
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/distillation/kd_loss.h"

namespace distill::distillation {

// B = batch, K = classes.

/// Same value and gradient (w.r.t. student_logits) as kd_loss, computed by one loop over the
/// rows that also produces the gradient, which backward() then only scales. Needs float32 CPU
/// tensors. student_logits: (B, K); teacher_logits: (B, K); labels: (B) int64 -> scalar
at::Tensor fused_kd_loss(const at::Tensor& student_logits, const at::Tensor& teacher_logits,
                         const at::Tensor& labels, const KdLossOptions& options);

}  // namespace distill::distillation
