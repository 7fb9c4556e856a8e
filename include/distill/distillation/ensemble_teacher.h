// Multi-teacher distillation: the soft labels of several teachers (any architectures, each live
// or cached) combined into one target distribution.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "distill/distillation/objective.h"

namespace distill::distillation {

enum class TeacherCombination {
  kAverage,     // equal weights
  kWeights,     // fixed weights given per teacher (normalised to sum 1)
  kConfidence,  // per sample, each teacher weighted by its top softened probability
};

const char* to_string(TeacherCombination combination);

/// Mixes the teachers' softened distributions q_i = softmax(z_i / T) with weights w_i (per
/// sample for kConfidence: w_i ∝ max_k q_i,k) and returns T · log(Σ_i w_i q_i), so that
/// softmax(logits / T) is exactly the mixture the student is distilled towards (and argmax is
/// the mixture's, for pseudo-labels).
class EnsembleTeacher : public TeacherLogitSource {
 public:
  EnsembleTeacher(std::vector<std::shared_ptr<TeacherLogitSource>> teachers,
                  TeacherCombination combination, std::vector<double> weights,
                  double temperature);
  at::Tensor logits(const data::Batch& batch) override;
  int64_t num_classes() const override;
  /// "3 teachers, confidence"
  std::string describe() const override;
  /// Its teachers' engines, each once, joined by " + ".
  std::string engine() const override;
  /// The combination of already computed logits (N teachers, each (B, K)).
  at::Tensor combine(const std::vector<at::Tensor>& teacher_logits) const;

 private:
  std::vector<std::shared_ptr<TeacherLogitSource>> teachers_;
  TeacherCombination combination_;
  std::vector<double> weights_;  // normalised
  double temperature_;
};

}  // namespace distill::distillation
