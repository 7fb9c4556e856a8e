// Small Int8Models for the runtime tests, built from seeded random values.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "distill/runtime/int8_model.h"

namespace distill::runtime::testing {

/// An MLP in → hidden... → classes with random int8 weights, positive scales and biases.
inline Int8Model random_model(std::vector<int64_t> widths, ActivationQuantization activations,
                              uint32_t seed = 0) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> weight(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.01f), bias(-0.5f, 0.5f);
  Int8Model model;
  model.input_shape = {widths.front()};
  model.num_classes = widths.back();
  model.activations = activations;
  model.input_scale = 1.0f / 255.0f;
  model.description = "test model";
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    QuantizedLinearLayer layer;
    layer.in_features = widths[i];
    layer.out_features = widths[i + 1];
    for (int64_t j = 0; j < widths[i] * widths[i + 1]; ++j)
      layer.weights.push_back(static_cast<int8_t>(weight(engine)));
    for (int64_t j = 0; j < widths[i + 1]; ++j) {
      layer.weight_scales.push_back(scale(engine));
      layer.bias.push_back(bias(engine));
    }
    layer.relu = i + 2 < widths.size();
    layer.output_scale = 0.02f;
    model.layers.push_back(layer);
  }
  return model;
}

/// Features on the pixel grid k / 255, as images give them.
inline std::vector<float> random_pixels(int64_t count, uint32_t seed = 1) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> value(0, 255);
  std::vector<float> x(static_cast<size_t>(count));
  for (float& v : x) v = static_cast<float>(value(engine)) / 255.0f;
  return x;
}

}  // namespace distill::runtime::testing
