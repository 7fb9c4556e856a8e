// Shared by the CNN int8 tests: a small CNN of either family (12x12 grey images, 5 classes),
// the normalisation its inputs carry, and a model whose batch norms are far from identity.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <string>

#include "distill/data/dataset.h"
#include "distill/models/classifier.h"
#include "int8_test_inputs.h"

namespace distill::compression::testing {

/// GoogleTest's name for a test instantiated per CNN family: "resnet", "mobilenet".
inline std::string family_name(const ::testing::TestParamInfo<models::ModelKind>& info) {
  return models::to_string(info.param);
}

inline models::ModelSpec cnn_spec(models::ModelKind kind) {
  models::ModelSpec spec;
  spec.kind = kind;
  spec.input_shape = {1, 12, 12};
  spec.num_classes = 5;
  spec.channels = {8, 16};  // stage 1 keeps the stem's width (identity residual), stage 2 doubles it
  spec.blocks_per_stage = 1;
  return spec;
}

/// Raw images on the pixel grid, (N, 1, 12, 12).
inline at::Tensor pixels(int64_t n, uint64_t seed) { return pixel_images(n, {1, 12, 12}, seed); }

inline data::Normalization normalization() {
  data::Normalization n;
  n.mean = {0.286f};
  n.stddev = {0.35f};
  return n;
}

/// A model whose batch norms are far from identity: random affine parameters and running
/// statistics gathered on a few training-mode passes.
inline models::ClassifierPtr trained_looking_model(models::ModelKind kind) {
  auto model = models::build_classifier(cnn_spec(kind), 3);
  {
    at::NoGradGuard no_grad;
    at::manual_seed(4);
    for (auto& item : model->named_parameters())
      if (item.key().find(".bn.") != std::string::npos)
        item.value().copy_(at::rand(item.value().sizes()) * 0.8 +
                           (item.key().find("weight") != std::string::npos ? 0.6 : -0.4));
    model->train();
    for (int i = 0; i < 5; ++i) model->forward(normalization().apply(pixels(32, 10 + i)));
  }
  model->eval();
  return model;
}

}  // namespace distill::compression::testing
