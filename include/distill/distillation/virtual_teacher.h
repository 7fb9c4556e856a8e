// The teacher-free "virtual teacher" (Yuan et al. 2020, Tf-KD): a hand-made distribution that
// puts `confidence` on the true class and spreads the rest uniformly, used as soft labels.
#pragma once

#include "distill/distillation/objective.h"

namespace distill::distillation {

class VirtualTeacher : public TeacherLogitSource {
 public:
  /// confidence in (1/K, 1): the probability of the labelled class.
  VirtualTeacher(int64_t num_classes, double confidence, double temperature);
  /// T · log(p) for the batch's labels, so that softmax(logits / T) = p exactly.
  at::Tensor logits(const data::Batch& batch) override;
  int64_t num_classes() const override { return num_classes_; }
  std::string describe() const override;

 private:
  int64_t num_classes_;
  double confidence_;
  double temperature_;
};

}  // namespace distill::distillation
