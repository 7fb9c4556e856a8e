// The label and distillation objectives, and the live teacher.
#include "distill/distillation/objective.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <sstream>

#include "distill/core/error.h"
#include "distill/distillation/fused_kd_loss.h"
#include "distill/kernels/compute_path.h"

namespace distill::distillation {

at::Tensor LabelObjective::loss(const data::Batch& batch, const at::Tensor& student_logits,
                                const models::FeatureTaps&) {
  return at::cross_entropy_loss(student_logits, batch.labels);
}

LiveTeacher::LiveTeacher(models::ClassifierPtr teacher) : teacher_(std::move(teacher)) {
  DISTILL_CHECK(teacher_ != nullptr, "a live teacher needs a model");
  teacher_->eval();
  for (auto& p : teacher_->parameters()) p.set_requires_grad(false);
}

at::Tensor LiveTeacher::logits(const data::Batch& batch) {
  torch::NoGradGuard no_grad;
  return teacher_->forward(batch.inputs);
}

at::Tensor LiveTeacher::logits_with_features(const data::Batch& batch, models::FeatureTaps& taps) {
  torch::NoGradGuard no_grad;
  return teacher_->forward(batch.inputs, taps);
}

int64_t LiveTeacher::num_classes() const { return teacher_->spec().num_classes; }

at::Tensor TeacherLogitSource::logits_with_features(const data::Batch&, models::FeatureTaps&) {
  const std::string source = describe();
  DISTILL_FAIL_HINT("use one teacher model with distill.teacher_outputs: live",
                    "feature distillation needs a teacher model's intermediate outputs, which "
                    "this teacher source (",
                    source.empty() ? "cached soft labels" : source, ") does not have");
}

const char* to_string(DistillationMode mode) {
  switch (mode) {
    case DistillationMode::kSoft: return "soft";
    case DistillationMode::kPseudoLabel: return "pseudo-label";
  }
  return "unknown";
}

DistillationObjective::DistillationObjective(std::shared_ptr<TeacherLogitSource> teacher,
                                             KdLossOptions options, DistillationMode mode)
    : teacher_(std::move(teacher)), options_(options), mode_(mode) {
  DISTILL_CHECK(teacher_ != nullptr, "distillation needs a teacher");
  validate_kd_loss_options(options_);
}

std::string describe_logit_loss(const KdLossOptions& options, DistillationMode mode) {
  std::ostringstream out;
  if (mode == DistillationMode::kSoft)
    out << "kd(T=" << options.temperature << ", alpha=" << options.alpha << ")";
  else
    out << "pseudo-label(alpha=" << options.alpha << ")";
  return out.str();
}

std::string DistillationObjective::name() const {
  const std::string teachers = teacher_->describe();
  return describe_logit_loss(options_, mode_) + (teachers.empty() ? "" : " from " + teachers);
}

at::Tensor logit_distillation_loss(const at::Tensor& student_logits,
                                   const at::Tensor& teacher_logits, const at::Tensor& labels,
                                   const KdLossOptions& options, DistillationMode mode) {
  if (mode == DistillationMode::kSoft) {
    if (kernels::compute_path() == kernels::ComputePath::kFast)
      return fused_kd_loss(student_logits, teacher_logits, labels, options);
    return kd_loss(student_logits, teacher_logits, labels, options);
  }
  return pseudo_label_loss(student_logits, teacher_logits, labels, options.alpha);
}

at::Tensor DistillationObjective::loss(const data::Batch& batch, const at::Tensor& student_logits,
                                       const models::FeatureTaps&) {
  return logit_distillation_loss(student_logits, teacher_->logits(batch), batch.labels, options_,
                                 mode_);
}

}  // namespace distill::distillation
