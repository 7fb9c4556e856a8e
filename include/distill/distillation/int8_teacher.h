// The teacher run by the libtorch-free int8 runtime (distill.teacher_precision: int8): during
// augmented distillation the teacher runs live on every batch, and its int8 model makes that pass
// several times cheaper. What the student then learns from drifts from the fp32 teacher's soft
// labels; measure_teacher_drift says by how much.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "distill/data/dataset.h"
#include "distill/distillation/objective.h"
#include "distill/distillation/trainer.h"
#include "distill/runtime/int8_model.h"

namespace distill::runtime {
class Int8Classifier;
}

namespace distill::distillation {

// B = batch, K = classes.

/// Logits of an int8 model for the student's (normalised, possibly augmented) batch: the inputs
/// are restored to raw features, which the int8 model takes (its normalisation is folded in).
class Int8Teacher : public TeacherLogitSource {
 public:
  Int8Teacher(runtime::Int8Model model, data::Normalization normalization);
  ~Int8Teacher() override;
  at::Tensor logits(const data::Batch& batch) override;
  int64_t num_classes() const override;
  std::string describe() const override { return "int8 teacher"; }
  std::string engine() const override { return kInt8RuntimeEngine; }

 private:
  data::Normalization normalization_;
  int64_t num_classes_;
  std::unique_ptr<runtime::Int8Classifier> classifier_;
};

/// How far `approximation`'s soft labels are from `reference`'s on every sample of `dataset`
/// (unaugmented): the mean KL(softmax(reference/T) ‖ softmax(approximation/T)) and the fraction
/// of samples whose top-1 classes agree.
TeacherDrift measure_teacher_drift(TeacherLogitSource& reference, TeacherLogitSource& approximation,
                                   const data::Dataset& dataset, double temperature,
                                   int64_t batch_size = 1000);

}  // namespace distill::distillation
