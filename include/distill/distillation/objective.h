// What a training run minimises: labels alone, or labels plus a teacher's outputs. The trainer
// only sees this interface, so later methods (hints, multiple teachers, cached soft labels) plug in
// as new objectives or teacher sources.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "distill/core/inference_engines.h"
#include "distill/data/batching.h"
#include "distill/distillation/kd_loss.h"
#include "distill/models/classifier.h"

namespace distill::distillation {

// B = batch, K = classes.

class TrainingObjective {
 public:
  virtual ~TrainingObjective() = default;
  /// "cross-entropy", "kd(T=4, alpha=0.1)", ...
  virtual std::string name() const = 0;
  /// The student's intermediate outputs loss() needs (none by default).
  virtual std::vector<std::string> student_taps() const { return {}; }
  /// batch: what the student saw; student_logits: (B, K) -> scalar loss to minimise.
  virtual at::Tensor loss(const data::Batch& batch, const at::Tensor& student_logits,
                          const models::FeatureTaps& student_features) = 0;
  /// Parameters the objective trains beside the model's (e.g. hint adapters), as a module so
  /// checkpoints carry them; null when none.
  virtual std::shared_ptr<torch::nn::Module> trainable() { return nullptr; }
};

/// Plain cross-entropy on the labels.
class LabelObjective : public TrainingObjective {
 public:
  std::string name() const override { return "cross-entropy"; }
  at::Tensor loss(const data::Batch& batch, const at::Tensor& student_logits,
                  const models::FeatureTaps& student_features) override;
};

/// Where teacher logits for a batch come from.
class TeacherLogitSource {
 public:
  virtual ~TeacherLogitSource() = default;
  /// -> (B, K) logits for the batch's samples, without gradient.
  virtual at::Tensor logits(const data::Batch& batch) = 0;
  /// As logits(), also recording the intermediate outputs `taps` asks for. Only sources that run
  /// the teacher can; the default refuses, naming the need for a live teacher.
  virtual at::Tensor logits_with_features(const data::Batch& batch, models::FeatureTaps& taps);
  virtual int64_t num_classes() const = 0;
  /// What the objective's name adds about its teacher ("" for one teacher, live or cached).
  virtual std::string describe() const { return ""; }
  /// What computes the logits: a core/inference_engines.h name ("" when no model runs).
  virtual std::string engine() const { return ""; }
};

/// A teacher model run on every batch: frozen, in eval mode, under no-grad.
class LiveTeacher : public TeacherLogitSource {
 public:
  explicit LiveTeacher(models::ClassifierPtr teacher);
  at::Tensor logits(const data::Batch& batch) override;
  at::Tensor logits_with_features(const data::Batch& batch, models::FeatureTaps& taps) override;
  int64_t num_classes() const override;
  std::string engine() const override { return kLibtorchEngine; }

 private:
  models::ClassifierPtr teacher_;
};

enum class DistillationMode {
  kSoft,         // alpha * CE + (1 - alpha) * T^2 * KL on softened outputs
  kPseudoLabel,  // alpha * CE + (1 - alpha) * CE on the teacher's argmax
};

/// Vanilla knowledge distillation from one teacher.
class DistillationObjective : public TrainingObjective {
 public:
  DistillationObjective(std::shared_ptr<TeacherLogitSource> teacher, KdLossOptions options,
                        DistillationMode mode);
  std::string name() const override;
  at::Tensor loss(const data::Batch& batch, const at::Tensor& student_logits,
                  const models::FeatureTaps& student_features) override;

 private:
  std::shared_ptr<TeacherLogitSource> teacher_;
  KdLossOptions options_;
  DistillationMode mode_;
};

const char* to_string(DistillationMode mode);

/// "kd(T=4, alpha=0.1)" or "pseudo-label(alpha=0.5)": how objectives name their logit loss.
std::string describe_logit_loss(const KdLossOptions& options, DistillationMode mode);

/// The logit part of distillation: kd_loss (soft; the fused kernel on the fast path) or
/// pseudo_label_loss, shared by every distillation objective.
at::Tensor logit_distillation_loss(const at::Tensor& student_logits,
                                   const at::Tensor& teacher_logits, const at::Tensor& labels,
                                   const KdLossOptions& options, DistillationMode mode);

}  // namespace distill::distillation
