// The feature distillation objective and its hint adapters.
#include "distill/distillation/feature_distillation.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <set>
#include <sstream>

#include "distill/core/error.h"
#include "distill/core/random.h"
#include "distill/distillation/feature_losses.h"

namespace distill::distillation {
namespace {

constexpr uint64_t kAdapterInitStream = 7'000'000;

std::vector<std::string> teacher_taps_of(const std::vector<FeatureTerm>& terms) {
  std::set<std::string> names = {"logits"};
  for (const FeatureTerm& t : terms) names.insert(t.teacher_tap);
  return {names.begin(), names.end()};
}

/// The adapter for a hint term: student features `s` -> the teacher's shape `t`.
std::shared_ptr<torch::nn::Module> make_adapter(const at::Tensor& s, const at::Tensor& t,
                                                const FeatureTerm& term) {
  if (s.dim() == 4 && t.dim() == 4) {
    DISTILL_CHECK(s.size(2) == t.size(2) && s.size(3) == t.size(3), describe(term),
                  ": the student's map ", s.sizes().slice(1), " and the teacher's ",
                  t.sizes().slice(1), " differ in spatial size; tap layers of the same resolution");
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(s.size(1), t.size(1), 1)).ptr();
  }
  if (s.dim() == 3 && t.dim() == 3) {
    // Sequences (L, E): TinyBERT's learned projection of the student's width to the teacher's.
    DISTILL_CHECK(s.size(1) == t.size(1), describe(term), ": the student's sequence ",
                  s.sizes().slice(1), " and the teacher's ", t.sizes().slice(1),
                  " differ in length; give both models the same data.text.max_tokens");
    return torch::nn::Linear(s.size(2), t.size(2)).ptr();
  }
  DISTILL_CHECK(s.dim() == 2 && t.dim() == 2, describe(term), ": student features ",
                s.sizes().slice(1), " and teacher features ", t.sizes().slice(1),
                " must both be maps (C, H, W), both sequences (L, E) or both vectors (F)");
  return torch::nn::Linear(s.size(1), t.size(1)).ptr();
}

at::Tensor apply_adapter(torch::nn::Module& adapter, const at::Tensor& x) {
  if (auto* conv = adapter.as<torch::nn::Conv2d>()) return conv->forward(x);
  return adapter.as<torch::nn::Linear>()->forward(x);
}

}  // namespace

const char* to_string(FeatureLossKind kind) {
  switch (kind) {
    case FeatureLossKind::kHint: return "hint";
    case FeatureLossKind::kAttention: return "attention";
    case FeatureLossKind::kRkdDistance: return "rkd_distance";
    case FeatureLossKind::kRkdAngle: return "rkd_angle";
    case FeatureLossKind::kAttentionMatrix: return "attention_matrix";
  }
  return "unknown";
}

std::string describe(const FeatureTerm& term) {
  std::ostringstream out;
  out << to_string(term.kind) << '(' << term.student_tap << "->" << term.teacher_tap
      << ", w=" << term.weight << ')';
  return out.str();
}

FeatureDistillationObjective::FeatureDistillationObjective(
    std::shared_ptr<TeacherLogitSource> teacher, KdLossOptions options, DistillationMode mode,
    std::vector<FeatureTerm> terms, bool include_logit_loss, models::Classifier& student,
    const at::Tensor& probe, uint64_t seed)
    : teacher_(std::move(teacher)),
      options_(options),
      mode_(mode),
      terms_(std::move(terms)),
      include_logit_loss_(include_logit_loss),
      adapters_(std::make_shared<torch::nn::Module>("FeatureAdapters")) {
  DISTILL_CHECK(teacher_ != nullptr, "feature distillation needs a teacher");
  DISTILL_CHECK(!terms_.empty() || include_logit_loss_, "feature distillation needs a loss term");
  validate_kd_loss_options(options_);
  for (const FeatureTerm& term : terms_)
    DISTILL_CHECK(term.weight > 0 && std::isfinite(term.weight), describe(term),
                  ": weight must be a finite value > 0");

  // One probe batch through both models gives every tap's shape (and checks the names).
  const bool was_training = student.is_training();
  student.eval();
  models::FeatureTaps student_taps(this->student_taps()), teacher_taps(teacher_taps_of(terms_));
  {
    torch::NoGradGuard no_grad;
    student.forward(probe, student_taps);
    data::Batch batch{probe, at::zeros({probe.size(0)}, at::kLong), at::arange(probe.size(0))};
    teacher_->logits_with_features(batch, teacher_taps);
  }
  student.train(was_training);
  seed_default_generator(derive_seed(seed, kAdapterInitStream));
  for (size_t i = 0; i < terms_.size(); ++i) {
    const FeatureTerm& term = terms_[i];
    const at::Tensor& s = student_taps.get(term.student_tap);
    const at::Tensor& t = teacher_taps.get(term.teacher_tap);
    if (term.kind == FeatureLossKind::kAttentionMatrix) check_attention_matrices(s, t, describe(term));
    if (term.kind != FeatureLossKind::kHint) {
      adapter_of_term_.push_back(nullptr);
      continue;
    }
    adapter_of_term_.push_back(adapters_->register_module("hint" + std::to_string(i),
                                                          make_adapter(s, t, term)));
  }
}

std::string FeatureDistillationObjective::name() const {
  std::string text = include_logit_loss_ ? describe_logit_loss(options_, mode_) : "";
  for (const FeatureTerm& term : terms_) text += (text.empty() ? "" : " + ") + describe(term);
  return text;
}

std::vector<std::string> FeatureDistillationObjective::student_taps() const {
  std::set<std::string> names;
  for (const FeatureTerm& t : terms_) names.insert(t.student_tap);
  return {names.begin(), names.end()};
}

at::Tensor FeatureDistillationObjective::loss(const data::Batch& batch,
                                              const at::Tensor& student_logits,
                                              const models::FeatureTaps& student_features) {
  models::FeatureTaps teacher_features(teacher_taps_of(terms_));
  const at::Tensor teacher_logits = teacher_->logits_with_features(batch, teacher_features);
  at::Tensor total = include_logit_loss_
                         ? logit_distillation_loss(student_logits, teacher_logits, batch.labels,
                                                   options_, mode_)
                         : at::zeros({}, student_logits.options());
  for (size_t i = 0; i < terms_.size(); ++i) {
    const FeatureTerm& term = terms_[i];
    const at::Tensor& s = student_features.get(term.student_tap);
    const at::Tensor& t = teacher_features.get(term.teacher_tap);
    at::Tensor value;
    switch (term.kind) {
      case FeatureLossKind::kHint:
        value = hint_loss(apply_adapter(*adapter_of_term_[i], s), t);
        break;
      case FeatureLossKind::kAttention: value = attention_transfer_loss(s, t); break;
      case FeatureLossKind::kRkdDistance: value = rkd_distance_loss(s, t); break;
      case FeatureLossKind::kRkdAngle: value = rkd_angle_loss(s, t); break;
      case FeatureLossKind::kAttentionMatrix: value = attention_matrix_loss(s, t); break;
    }
    total = total + term.weight * value;
  }
  return total;
}

}  // namespace distill::distillation
