// The fp32 CNN teacher run folded on oneDNN: during augmented distillation the teacher runs live on
// every batch, and its inference network (batch norm folded into the convolutions, ReLUs and
// residual adds fused into them, oneDNN's blocked layouts kept from layer to layer) computes the
// same function as the libtorch teacher, to float rounding, at a fraction of its cost. Used for a
// live CNN teacher on the fast compute path (compression::runs_folded_on_onednn).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "distill/distillation/objective.h"
#include "distill/models/classifier.h"

namespace distill::compression {
class FoldedCnnInference;
}

namespace distill::distillation {

// B = batch, K = classes.

class FoldedCnnTeacher : public TeacherLogitSource {
 public:
  /// teacher: a resnet or mobilenet classifier; its weights are folded once, here (a teacher is
  /// frozen), and it is left in eval mode.
  explicit FoldedCnnTeacher(models::Classifier& teacher);
  ~FoldedCnnTeacher() override;
  /// batch.inputs: (B, C, H, W) as the teacher takes them (normalised, any memory format).
  at::Tensor logits(const data::Batch& batch) override;
  int64_t num_classes() const override;
  std::string engine() const override { return kFoldedCnnEngine; }

 private:
  std::vector<int64_t> input_shape_;  // (C, H, W)
  std::unique_ptr<compression::FoldedCnnInference> inference_;
};

}  // namespace distill::distillation
