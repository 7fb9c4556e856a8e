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

/// Appends a convolution with random int8 weights, positive scales and biases to `model`
/// (padding kernel / 2; the model input's padding takes the code 73, others 0; output scale
/// 0.05, zero point 128 without activation); returns its index.
inline int32_t add_random_conv(Int8Model& model, std::mt19937& engine, int64_t in, int64_t out,
                               int64_t kernel, int64_t stride, int64_t groups,
                               ConvActivation activation, int32_t input, int32_t residual) {
  std::uniform_int_distribution<int> weight(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.01f), bias(-0.5f, 0.5f);
  QuantizedConvLayer conv;
  conv.in_channels = in;
  conv.out_channels = out;
  conv.kernel = kernel;
  conv.stride = stride;
  conv.padding = kernel / 2;
  conv.groups = groups;
  conv.activation = activation;
  conv.input = input;
  conv.residual = residual;
  conv.pad_value = input < 0 ? 73 : 0;
  conv.output_scale = 0.05f;
  conv.output_zero_point = activation == ConvActivation::kNone ? 128 : 0;
  for (int64_t j = 0; j < out * (in / groups) * kernel * kernel; ++j)
    conv.weights.push_back(static_cast<int8_t>(weight(engine)));
  for (int64_t j = 0; j < out; ++j) {
    conv.weight_scales.push_back(scale(engine));
    conv.bias.push_back(bias(engine));
  }
  model.convolutions.push_back(std::move(conv));
  return static_cast<int32_t>(model.convolutions.size() - 1);
}

/// Ends a CNN: pooled scale 0.03 and a random linear head from its last convolution's channels.
inline void add_random_head(Int8Model& model, std::mt19937& engine) {
  std::uniform_int_distribution<int> weight(-127, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.01f), bias(-0.5f, 0.5f);
  model.pooled_scale = 0.03f;
  QuantizedLinearLayer head;
  head.in_features = model.convolutions.back().out_channels;
  head.out_features = model.num_classes;
  for (int64_t j = 0; j < head.in_features * head.out_features; ++j)
    head.weights.push_back(static_cast<int8_t>(weight(engine)));
  for (int64_t j = 0; j < head.out_features; ++j) {
    head.weight_scales.push_back(scale(engine));
    head.bias.push_back(bias(engine));
  }
  model.layers.push_back(std::move(head));
}

/// A small CNN on (1, 8, 8) images using every convolution feature: a stem padded with a
/// non-zero code, a residual pair (identity shortcut), a strided projection shortcut without
/// activation and an asymmetric zero point, a depthwise ReLU6 layer, pooling and a linear head.
inline Int8Model random_cnn_model(uint32_t seed = 0) {
  std::mt19937 engine(seed);
  Int8Model model;
  model.input_shape = {1, 8, 8};
  model.num_classes = 3;
  model.input_scale = 1.0f / 255.0f;
  model.description = "test cnn";
  using A = ConvActivation;
  add_random_conv(model, engine, 1, 4, 3, 1, 1, A::kRelu, -1, -1);  // 0: stem
  add_random_conv(model, engine, 4, 4, 3, 1, 1, A::kRelu, 0, -1);   // 1
  add_random_conv(model, engine, 4, 4, 3, 1, 1, A::kRelu, 1, 0);    // 2: + identity shortcut
  add_random_conv(model, engine, 4, 8, 1, 2, 1, A::kNone, 2, -1);   // 3: projection, 4x4
  add_random_conv(model, engine, 4, 8, 3, 2, 1, A::kRelu, 2, 3);    // 4: strided, + projection
  add_random_conv(model, engine, 8, 8, 3, 1, 8, A::kRelu6, 4, -1);  // 5: depthwise
  add_random_head(model, engine);
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
