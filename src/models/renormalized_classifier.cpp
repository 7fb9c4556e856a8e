// The change of input normalisation in front of a teacher.
#include "distill/models/renormalized_classifier.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::models {
namespace {

/// Per-channel (mean, std) of a normalisation over `channels`; identity when empty.
std::pair<std::vector<float>, std::vector<float>> moments(const data::Normalization& n,
                                                          int64_t channels) {
  if (n.empty()) return {std::vector<float>(channels, 0.0f), std::vector<float>(channels, 1.0f)};
  DISTILL_CHECK(static_cast<int64_t>(n.mean.size()) == channels, "normalisation of ",
                n.mean.size(), " channels for inputs with ", channels);
  return {n.mean, n.stddev};
}

}  // namespace

RenormalizedClassifier::RenormalizedClassifier(ClassifierPtr teacher,
                                               const data::Normalization& data,
                                               const data::Normalization& teacher_normalization)
    : Classifier(teacher->spec()), teacher_(std::move(teacher)) {
  const int64_t channels = spec().input_shape.at(0);
  const auto [data_mean, data_std] = moments(data, channels);
  const auto [teacher_mean, teacher_std] = moments(teacher_normalization, channels);
  std::vector<float> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = data_std[c] / teacher_std[c];
    shift[c] = (data_mean[c] - teacher_mean[c]) / teacher_std[c];
  }
  std::vector<int64_t> shape = {1, channels};
  for (size_t d = 1; d < spec().input_shape.size(); ++d) shape.push_back(1);
  scale_ = register_buffer("input_scale", at::tensor(scale).view(shape));
  shift_ = register_buffer("input_shift", at::tensor(shift).view(shape));
  register_module("teacher", teacher_);
}

at::Tensor RenormalizedClassifier::run(const at::Tensor& inputs, FeatureTaps* taps) {
  const at::Tensor mapped = inputs * scale_ + shift_;
  return taps ? teacher_->forward(mapped, *taps) : teacher_->forward(mapped);
}

}  // namespace distill::models
