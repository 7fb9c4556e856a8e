// Distillation with intermediate-layer terms: the KD loss on logits plus weighted feature losses
// (FitNets hints through learned adapters, attention transfer, relational KD, TinyBERT's hidden
// states through a learned projection and attention matrices) between named taps
// of the student and the teacher (Classifier::tap_names()).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "distill/distillation/objective.h"

namespace distill::distillation {

enum class FeatureLossKind { kHint, kAttention, kRkdDistance, kRkdAngle, kAttentionMatrix };

const char* to_string(FeatureLossKind kind);

/// One feature term: weight · loss(student tap, teacher tap).
struct FeatureTerm {
  FeatureLossKind kind = FeatureLossKind::kHint;
  std::string student_tap;
  std::string teacher_tap;
  double weight = 1.0;
};

/// "hint(hidden1->hidden2, w=1)"
std::string describe(const FeatureTerm& term);

/// The KD loss on logits (weight 1, or 0 for the hint-only first stage of FitNets) plus the
/// feature terms. The teacher runs live (feature maps are not cached). Hint terms train an
/// adapter each — a 1x1 convolution for (B, C, H, W) taps, a linear layer for (B, F) ones and
/// for (B, L, E) sequences (TinyBERT's W_h) — mapping the student's channels to the teacher's;
/// their shapes come from one probe batch.
class FeatureDistillationObjective : public TrainingObjective {
 public:
  /// `probe` is a small batch of training inputs (to size the adapters); `seed` initialises them.
  FeatureDistillationObjective(std::shared_ptr<TeacherLogitSource> teacher, KdLossOptions options,
                               DistillationMode mode, std::vector<FeatureTerm> terms,
                               bool include_logit_loss, models::Classifier& student,
                               const at::Tensor& probe, uint64_t seed);
  std::string name() const override;
  std::vector<std::string> student_taps() const override;
  at::Tensor loss(const data::Batch& batch, const at::Tensor& student_logits,
                  const models::FeatureTaps& student_features) override;
  std::shared_ptr<torch::nn::Module> trainable() override { return adapters_; }

 private:
  std::shared_ptr<TeacherLogitSource> teacher_;
  KdLossOptions options_;
  DistillationMode mode_;
  std::vector<FeatureTerm> terms_;
  bool include_logit_loss_;
  std::shared_ptr<torch::nn::Module> adapters_;
  std::vector<std::shared_ptr<torch::nn::Module>> adapter_of_term_;  // null for non-hint terms
};

}  // namespace distill::distillation
