// Combining several teachers' soft labels.
#include "distill/distillation/ensemble_teacher.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "distill/core/error.h"

namespace distill::distillation {

const char* to_string(TeacherCombination combination) {
  switch (combination) {
    case TeacherCombination::kAverage: return "average";
    case TeacherCombination::kWeights: return "weights";
    case TeacherCombination::kConfidence: return "confidence";
  }
  return "unknown";
}

EnsembleTeacher::EnsembleTeacher(std::vector<std::shared_ptr<TeacherLogitSource>> teachers,
                                 TeacherCombination combination, std::vector<double> weights,
                                 double temperature)
    : teachers_(std::move(teachers)), combination_(combination), temperature_(temperature) {
  DISTILL_CHECK(!teachers_.empty(), "multi-teacher distillation needs at least one teacher");
  for (size_t i = 0; i < teachers_.size(); ++i) {
    DISTILL_CHECK(teachers_[i] != nullptr, "teacher ", i, " is missing");
    DISTILL_CHECK(teachers_[i]->num_classes() == teachers_[0]->num_classes(), "teacher ", i,
                  " predicts ", teachers_[i]->num_classes(), " classes but teacher 0 predicts ",
                  teachers_[0]->num_classes());
  }
  DISTILL_CHECK(temperature_ > 0 && std::isfinite(temperature_), "temperature must be > 0, got ",
                temperature_);
  if (combination_ == TeacherCombination::kWeights) {
    DISTILL_CHECK(weights.size() == teachers_.size(), "teacher_weights has ", weights.size(),
                  " values for ", teachers_.size(), " teachers");
    for (size_t i = 0; i < weights.size(); ++i)
      DISTILL_CHECK(weights[i] >= 0 && std::isfinite(weights[i]), "teacher_weights[", i, "] = ",
                    weights[i], ": expected a finite value >= 0");
  } else {
    weights.assign(teachers_.size(), 1.0);
  }
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  DISTILL_CHECK(sum > 0, "teacher_weights sum to 0: at least one teacher needs weight");
  for (double& w : weights) w /= sum;
  weights_ = std::move(weights);
}

at::Tensor EnsembleTeacher::combine(const std::vector<at::Tensor>& teacher_logits) const {
  DISTILL_CHECK(teacher_logits.size() == teachers_.size(), "expected logits of ",
                teachers_.size(), " teachers, got ", teacher_logits.size());
  std::vector<at::Tensor> probabilities;
  for (const at::Tensor& z : teacher_logits)
    probabilities.push_back(at::softmax(z.to(at::kFloat) / temperature_, 1));
  const at::Tensor q = at::stack(probabilities);  // (N, B, K)
  at::Tensor w;                                   // (N, B, 1)
  if (combination_ == TeacherCombination::kConfidence) {
    const at::Tensor confidence = std::get<0>(q.max(2, /*keepdim=*/true));
    w = confidence / confidence.sum(0, true);
  } else {
    w = at::tensor(std::vector<float>(weights_.begin(), weights_.end())).view({-1, 1, 1});
  }
  return temperature_ * (q * w).sum(0).clamp_min(1e-30).log();
}

at::Tensor EnsembleTeacher::logits(const data::Batch& batch) {
  std::vector<at::Tensor> all;
  for (auto& teacher : teachers_) all.push_back(teacher->logits(batch));
  return combine(all);
}

int64_t EnsembleTeacher::num_classes() const { return teachers_[0]->num_classes(); }

std::string EnsembleTeacher::describe() const {
  std::string text = std::to_string(teachers_.size()) + " teachers, " + to_string(combination_);
  if (combination_ == TeacherCombination::kWeights) {
    text += " [";
    for (size_t i = 0; i < weights_.size(); ++i)
      text += (i ? ", " : "") + std::to_string(weights_[i]).substr(0, 5);
    text += "]";
  }
  return text;
}

std::string EnsembleTeacher::engine() const {
  std::vector<std::string> engines;
  for (const auto& teacher : teachers_) {
    const std::string engine = teacher->engine();
    if (std::find(engines.begin(), engines.end(), engine) == engines.end()) engines.push_back(engine);
  }
  std::string text;
  for (const std::string& engine : engines) text += (text.empty() ? "" : " + ") + engine;
  return text;
}

}  // namespace distill::distillation
