// Feature losses, written as the papers' reference code computes them.
#include "distill/distillation/feature_losses.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::distillation {
namespace {

at::Tensor flattened(const at::Tensor& features) {
  return features.reshape({features.size(0), -1});
}

void check_batches(const at::Tensor& student, const at::Tensor& teacher, const char* loss) {
  DISTILL_CHECK(student.dim() >= 2 && teacher.dim() >= 2 && student.size(0) == teacher.size(0),
                loss, ": student features ", student.sizes(), " and teacher features ",
                teacher.sizes(), " must be batches of the same size");
}

/// Pairwise Euclidean distances (B, B) with a zero diagonal; eps keeps the square root's
/// gradient finite for coincident points.
at::Tensor pairwise_distances(const at::Tensor& e) {
  const at::Tensor squared = e.pow(2).sum(1);
  at::Tensor d = (squared.unsqueeze(1) + squared.unsqueeze(0) - 2 * e.mm(e.t()))
                     .clamp_min(1e-12)
                     .sqrt();
  return d * (1 - at::eye(e.size(0), e.options()));
}

at::Tensor normalized_distances(const at::Tensor& e) {
  const at::Tensor d = pairwise_distances(e);
  const at::Tensor positive = d.gt(0);
  DISTILL_CHECK(positive.any().item<bool>(),
                "rkd distance: all samples of the batch coincide; no distance to normalise by");
  return d / d.masked_select(positive).mean();
}

/// (B, B, B) cosines of the angle at j between x_i - x_j and x_k - x_j, flattened.
at::Tensor triplet_angles(const at::Tensor& e) {
  const at::Tensor differences = e.unsqueeze(0) - e.unsqueeze(1);  // [j][i] = x_i - x_j
  const at::Tensor unit = differences / differences.norm(2, 2, true).clamp_min(1e-12);
  return at::bmm(unit, unit.transpose(1, 2)).reshape({-1});
}

}  // namespace

at::Tensor hint_loss(const at::Tensor& adapted_student, const at::Tensor& teacher) {
  DISTILL_CHECK(adapted_student.sizes() == teacher.sizes(), "hint loss: adapted student features ",
                adapted_student.sizes(), " must have the teacher's shape ", teacher.sizes());
  return at::mse_loss(adapted_student, teacher.detach());
}

at::Tensor attention_map(const at::Tensor& features) {
  DISTILL_CHECK(features.dim() == 4 || features.dim() == 2,
                "attention map: expected features (B, C, H, W) or (B, F), got ", features.sizes());
  const at::Tensor energy =
      features.dim() == 4 ? features.pow(2).mean(1).reshape({features.size(0), -1})
                          : features.pow(2);
  return energy / energy.norm(2, 1, true).clamp_min(1e-12);
}

at::Tensor attention_transfer_loss(const at::Tensor& student, const at::Tensor& teacher) {
  check_batches(student, teacher, "attention transfer");
  const at::Tensor s = attention_map(student), t = attention_map(teacher.detach());
  DISTILL_CHECK(s.size(1) == t.size(1), "attention transfer: the student's map has ", s.size(1),
                " positions ", student.sizes(), " but the teacher's has ", t.size(1), " ",
                teacher.sizes(), "; tap layers of the same spatial size");
  return (s - t).pow(2).mean();
}

at::Tensor rkd_distance_loss(const at::Tensor& student, const at::Tensor& teacher) {
  check_batches(student, teacher, "rkd distance");
  const at::Tensor t = normalized_distances(flattened(teacher.detach()));
  return at::smooth_l1_loss(normalized_distances(flattened(student)), t);
}

at::Tensor rkd_angle_loss(const at::Tensor& student, const at::Tensor& teacher) {
  check_batches(student, teacher, "rkd angle");
  return at::smooth_l1_loss(triplet_angles(flattened(student)),
                            triplet_angles(flattened(teacher.detach())));
}

void check_attention_matrices(const at::Tensor& student, const at::Tensor& teacher,
                              const std::string& what) {
  const auto square = [](const at::Tensor& t) {
    return t.dim() == 4 && t.size(2) == t.size(3);
  };
  DISTILL_CHECK_HINT(square(student) && square(teacher), "tap attention1, attention2, ...",
                     what, ": attention matrices are (B, heads, L, L); the student's tap is ",
                     student.sizes(), " and the teacher's ", teacher.sizes());
  DISTILL_CHECK(student.size(0) == teacher.size(0) && student.size(2) == teacher.size(2), what,
                ": the student's attention ", student.sizes(), " and the teacher's ",
                teacher.sizes(), " differ in batch or length");
}

at::Tensor attention_matrix_loss(const at::Tensor& student, const at::Tensor& teacher) {
  check_attention_matrices(student, teacher, "attention_matrix");
  const at::Tensor target = teacher.detach();
  if (student.size(1) == target.size(1)) return at::mse_loss(student, target);
  return at::mse_loss(student.mean(1), target.mean(1));
}

}  // namespace distill::distillation
