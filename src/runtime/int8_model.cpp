// Int8Model validation.
#include "distill/runtime/int8_model.h"

#include <cmath>

#include "distill/core/error.h"

namespace distill::runtime {

const char* to_string(ActivationQuantization mode) {
  switch (mode) {
    case ActivationQuantization::kStatic: return "static";
    case ActivationQuantization::kDynamic: return "dynamic";
  }
  return "unknown";
}

const char* to_string(ConvActivation activation) {
  switch (activation) {
    case ConvActivation::kNone: return "none";
    case ConvActivation::kRelu: return "relu";
    case ConvActivation::kRelu6: return "relu6";
  }
  return "unknown";
}

int64_t Int8Model::input_features() const {
  int64_t count = input_shape.empty() ? 0 : 1;
  for (int64_t d : input_shape) count *= d;
  return count;
}

namespace {

/// Output size along one axis.
int64_t conv_output_size(int64_t input, const QuantizedConvLayer& conv) {
  return (input + 2 * conv.padding - conv.kernel) / conv.stride + 1;
}

ConvGeometry geometry_of(const QuantizedConvLayer& conv, int64_t in_height, int64_t in_width) {
  return {in_height, in_width, conv_output_size(in_height, conv), conv_output_size(in_width, conv)};
}

}  // namespace

Uint8Encoding conv_input_encoding(const Int8Model& model, const QuantizedConvLayer& conv) {
  if (conv.input < 0) return {model.input_scale, model.input_zero_point};
  const QuantizedConvLayer& source = model.convolutions.at(static_cast<size_t>(conv.input));
  return {source.output_scale, source.output_zero_point};
}

std::vector<ConvGeometry> conv_geometry(const Int8Model& model) {
  validate(model, "in memory");
  std::vector<ConvGeometry> geometry;
  for (const QuantizedConvLayer& conv : model.convolutions) {
    const bool first = conv.input < 0;
    geometry.push_back(geometry_of(conv, first ? model.input_shape[1] : geometry[conv.input].out_height,
                                   first ? model.input_shape[2] : geometry[conv.input].out_width));
  }
  return geometry;
}

int64_t parameter_count(const Int8Model& model) {
  int64_t count = 0;
  for (const QuantizedConvLayer& conv : model.convolutions)
    count += static_cast<int64_t>(conv.weights.size() + conv.bias.size());
  for (const QuantizedLinearLayer& layer : model.layers)
    count += static_cast<int64_t>(layer.weights.size() + layer.bias.size());
  return count;
}

namespace {

bool valid_scale(float scale) { return std::isfinite(scale) && scale > 0; }

void validate_per_channel(const std::vector<float>& scales, const std::vector<float>& bias,
                          int64_t channels, const std::string& name) {
  DISTILL_CHECK(static_cast<int64_t>(scales.size()) == channels, name, " has ", scales.size(),
                " weight scales, expected ", channels);
  DISTILL_CHECK(static_cast<int64_t>(bias.size()) == channels, name, " has ", bias.size(),
                " biases, expected ", channels);
  for (size_t j = 0; j < scales.size(); ++j)
    DISTILL_CHECK(valid_scale(scales[j]), name, ": weight scale ", j, " is ", scales[j],
                  ", expected finite > 0");
  for (size_t j = 0; j < bias.size(); ++j)
    DISTILL_CHECK(std::isfinite(bias[j]), name, ": bias ", j, " is ", bias[j]);
}

/// The convolutions of a CNN; returns the channels the pooled features have.
int64_t validate_convolutions(const Int8Model& model, const std::string& where) {
  DISTILL_CHECK(model.activations == ActivationQuantization::kStatic, where,
                ": convolutions need static activations");
  DISTILL_CHECK(model.convolutions.size() <= 1024, where, ": ", model.convolutions.size(),
                " convolutions, over the limit of 1024");
  DISTILL_CHECK(model.input_shape.size() == 3, where,
                ": a CNN's input shape must be (channels, height, width), got ",
                model.input_shape.size(), " dimensions");
  std::vector<int64_t> channels;  // output channels of each convolution
  std::vector<ConvGeometry> geometry;
  for (size_t i = 0; i < model.convolutions.size(); ++i) {
    const QuantizedConvLayer& conv = model.convolutions[i];
    const std::string name = where + ": convolution " + std::to_string(i + 1);
    const int64_t count = static_cast<int64_t>(i);
    DISTILL_CHECK(conv.input >= -1 && conv.input < count, name, " reads input ", conv.input,
                  ", expected -1 (the model input) or an earlier convolution (0 to ", count - 1,
                  ")");
    const int64_t in_channels = conv.input < 0 ? model.input_shape[0] : channels[conv.input];
    DISTILL_CHECK(conv.in_channels == in_channels, name, " takes ", conv.in_channels,
                  " channels but receives ", in_channels);
    DISTILL_CHECK(conv.out_channels > 0 && conv.out_channels <= 65536, name, ": out_channels ",
                  conv.out_channels, " out of range (1 to 65536)");
    DISTILL_CHECK(conv.kernel >= 1 && conv.kernel <= 15 && conv.stride >= 1 && conv.stride <= 8 &&
                      conv.padding >= 0 && conv.padding < conv.kernel,
                  name, ": kernel ", conv.kernel, ", stride ", conv.stride, ", padding ",
                  conv.padding, " out of range (kernel 1 to 15, stride 1 to 8, padding < kernel)");
    DISTILL_CHECK(conv.groups >= 1 && conv.in_channels % conv.groups == 0 &&
                      conv.out_channels % conv.groups == 0,
                  name, ": groups ", conv.groups, " must divide the ", conv.in_channels,
                  " input and ", conv.out_channels, " output channels");
    DISTILL_CHECK(conv.pad_value >= 0 && conv.pad_value <= 255, name, ": pad value ",
                  conv.pad_value, " must be in [0, 255]");
    const bool first = conv.input < 0;
    const ConvGeometry g =
        geometry_of(conv, first ? model.input_shape[1] : geometry[conv.input].out_height,
                    first ? model.input_shape[2] : geometry[conv.input].out_width);
    DISTILL_CHECK(g.in_height + 2 * conv.padding >= conv.kernel &&
                      g.in_width + 2 * conv.padding >= conv.kernel,
                  name, ": kernel ", conv.kernel, " is larger than its padded ", g.in_height, "x",
                  g.in_width, " input");
    DISTILL_CHECK(g.out_height * g.out_width * conv.out_channels <= (int64_t{1} << 26), name,
                  ": output ", conv.out_channels, "x", g.out_height, "x", g.out_width,
                  " is over the limit of 2^26 values per sample");
    const int64_t expected_weights =
        conv.out_channels * (conv.in_channels / conv.groups) * conv.kernel * conv.kernel;
    DISTILL_CHECK(static_cast<int64_t>(conv.weights.size()) == expected_weights, name, " has ",
                  conv.weights.size(), " weights, expected ", expected_weights);
    validate_per_channel(conv.weight_scales, conv.bias, conv.out_channels, name);
    DISTILL_CHECK(valid_scale(conv.output_scale), name,
                  ": output scale must be finite and > 0, got ", conv.output_scale);
    DISTILL_CHECK(conv.output_zero_point >= 0 && conv.output_zero_point <= 255, name,
                  ": output zero point ", conv.output_zero_point, " must be in [0, 255]");
    DISTILL_CHECK(conv.activation == ConvActivation::kNone || conv.output_zero_point == 0, name,
                  " ends in ", to_string(conv.activation), ", so its output zero point must be 0, got ",
                  conv.output_zero_point);
    DISTILL_CHECK(conv.residual >= -1 && conv.residual < count, name, " adds output ",
                  conv.residual, ", expected -1 (none) or an earlier convolution");
    if (conv.residual >= 0) {
      const QuantizedConvLayer& added = model.convolutions[conv.residual];
      const ConvGeometry& r = geometry[conv.residual];
      DISTILL_CHECK(added.out_channels == conv.out_channels && r.out_height == g.out_height &&
                        r.out_width == g.out_width,
                    name, " (", conv.out_channels, "x", g.out_height, "x", g.out_width,
                    ") adds convolution ", conv.residual + 1, " of another shape (",
                    added.out_channels, "x", r.out_height, "x", r.out_width, ")");
    }
    channels.push_back(conv.out_channels);
    geometry.push_back(g);
  }
  const QuantizedConvLayer& last = model.convolutions.back();
  DISTILL_CHECK(last.activation != ConvActivation::kNone, where,
                ": the last convolution must end in ReLU or ReLU6 (its pooled output is uint8 "
                "with zero point 0)");
  DISTILL_CHECK(valid_scale(model.pooled_scale), where, ": pooled scale must be finite and > 0, got ",
                model.pooled_scale);
  return last.out_channels;
}

}  // namespace

void validate(const Int8Model& model, const std::string& source) {
  const std::string where = "int8 model '" + source + "'";
  DISTILL_CHECK(!model.input_shape.empty() && model.input_shape.size() <= 4, where,
                ": input shape must have 1 to 4 dimensions, got ", model.input_shape.size());
  for (int64_t d : model.input_shape)
    DISTILL_CHECK(d > 0 && d <= (int64_t{1} << 24), where, ": input dimension ", d,
                  " out of range (1 to 2^24)");
  DISTILL_CHECK(model.num_classes >= 2, where, ": num_classes must be >= 2, got ",
                model.num_classes);
  DISTILL_CHECK(!model.layers.empty(), where, ": no layers");
  DISTILL_CHECK(std::isfinite(model.input_scale) && model.input_scale > 0, where,
                ": input scale must be finite and > 0, got ", model.input_scale);
  DISTILL_CHECK(model.input_zero_point >= 0 && model.input_zero_point <= 255, where,
                ": input zero point must be in [0, 255], got ", model.input_zero_point);
  DISTILL_CHECK(model.input_features() <= (int64_t{1} << 26), where, ": ", model.input_features(),
                " input features is too many");
  int64_t width = model.is_cnn() ? validate_convolutions(model, where) : model.input_features();
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const QuantizedLinearLayer& layer = model.layers[i];
    const std::string name = where + ": layer " + std::to_string(i + 1);
    const bool last = i + 1 == model.layers.size();
    DISTILL_CHECK(layer.in_features == width, name, " takes ", layer.in_features,
                  " features but receives ", width);
    DISTILL_CHECK(layer.out_features > 0 && layer.out_features <= (int64_t{1} << 20), name,
                  ": out_features ", layer.out_features, " out of range (1 to 2^20)");
    DISTILL_CHECK(static_cast<int64_t>(layer.weights.size()) == layer.in_features * layer.out_features,
                  name, " has ", layer.weights.size(), " weights, expected ",
                  layer.in_features * layer.out_features);
    validate_per_channel(layer.weight_scales, layer.bias, layer.out_features, name);
    DISTILL_CHECK(layer.relu == !last, name,
                  last ? " (the logits) must not end with ReLU" : " must end with ReLU");
    DISTILL_CHECK(last || valid_scale(layer.output_scale), name,
                  ": output scale must be finite and > 0, got ", layer.output_scale);
    width = layer.out_features;
  }
  DISTILL_CHECK(width == model.num_classes, where, ": the last layer has ", width,
                " outputs but num_classes is ", model.num_classes);
}

}  // namespace distill::runtime
