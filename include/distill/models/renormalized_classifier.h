// A teacher that was trained on differently normalised inputs, wrapped so it takes the data as
// the students see it: x ↦ teacher(x·scale + shift) per channel, with scale = std_data/std_teacher
// and shift = (mean_data − mean_teacher)/std_teacher (the exact change of normalisation).
#pragma once

#include "distill/data/dataset.h"
#include "distill/models/classifier.h"

namespace distill::models {

class RenormalizedClassifier : public Classifier {
 public:
  /// `data` and `teacher_normalization` may be empty (no normalisation: the raw features).
  RenormalizedClassifier(ClassifierPtr teacher, const data::Normalization& data,
                         const data::Normalization& teacher_normalization);
  std::vector<std::string> tap_names() const override { return teacher_->tap_names(); }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  ClassifierPtr teacher_;
  at::Tensor scale_;  // buffers: part of the soft-label cache key
  at::Tensor shift_;
};

}  // namespace distill::models
