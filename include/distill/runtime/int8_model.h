// The int8 model the runtime executes: optional convolutions (a CNN's feature extractor, ending
// in global average pooling) followed by quantized linear layers. What the exporter writes
// (compression/), what the model file holds (int8_model_file.h), what Int8Classifier runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace distill::runtime {

/// How each layer's input activations get their uint8 scale: fixed by calibration (static) or
/// measured on every batch (dynamic).
enum class ActivationQuantization { kStatic, kDynamic };

const char* to_string(ActivationQuantization mode);

struct QuantizedLinearLayer {
  int64_t in_features = 0;
  int64_t out_features = 0;
  std::vector<int8_t> weights;       // out_features × in_features, row-major
  std::vector<float> weight_scales;  // out_features: weight ≈ scale · int8 (symmetric)
  std::vector<float> bias;           // out_features
  /// Hidden layers end with ReLU; the last layer (the logits) does not.
  bool relu = false;
  /// Static mode, hidden layers: the uint8 scale of this layer's output (zero point 0: it
  /// follows a ReLU). Unused by the last layer and in dynamic mode.
  float output_scale = 1;
};

/// What ends a convolution: nothing (a residual shortcut), ReLU, or ReLU6.
enum class ConvActivation { kNone, kRelu, kRelu6 };

const char* to_string(ConvActivation activation);

/// A 2-D convolution on uint8 NHWC activations (one scale and zero point per tensor), int8
/// weights per output channel, batch norm already folded into weights and bias:
///   y = act(input_scale · w_scale[o] · Σ (x − x_zero) · w + bias[o]
///           [+ residual_scale · (r − r_zero)])  quantized with output_scale, output_zero_point.
/// Groups = in_channels = out_channels makes a depthwise convolution.
struct QuantizedConvLayer {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel = 1;  // square kernel
  int64_t stride = 1;
  int64_t padding = 0;  // on every side
  int64_t groups = 1;
  /// The uint8 code the padding takes: the input's encoding of 0 in the space the float
  /// convolution saw (for the first layer, the normalisation mean folded into the weights).
  int32_t pad_value = 0;
  std::vector<int8_t> weights;       // out × in/groups × kernel × kernel (PyTorch's OIHW order)
  std::vector<float> weight_scales;  // out_channels
  std::vector<float> bias;           // out_channels
  ConvActivation activation = ConvActivation::kRelu;
  float output_scale = 1;
  int32_t output_zero_point = 0;
  /// Which earlier convolution's output this one reads (index into Int8Model::convolutions);
  /// -1 reads the model's input.
  int32_t input = -1;
  /// An earlier convolution's output added before the activation (a residual connection); -1
  /// for none. It must have this layer's output shape.
  int32_t residual = -1;
};

struct Int8Model {
  /// Shape of one input sample (e.g. {1, 28, 28}); inputs are flattened row-major.
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;
  ActivationQuantization activations = ActivationQuantization::kStatic;
  /// Static mode: how float inputs become uint8. The exporter folds the training normalisation
  /// into the first layer, so inputs are the raw features (pixels scaled to [0, 1]).
  float input_scale = 1;
  int32_t input_zero_point = 0;
  /// A CNN's convolutions in execution order (empty for an MLP). The last one's output is
  /// averaged over height and width and quantized with pooled_scale (zero point 0; the last
  /// convolution must end in ReLU or ReLU6), which makes the first linear layer's input.
  std::vector<QuantizedConvLayer> convolutions;
  float pooled_scale = 1;
  std::vector<QuantizedLinearLayer> layers;
  /// Free text for people: the architecture and how it was quantized.
  std::string description;

  int64_t input_features() const;
  /// Static models only; CNNs are always static.
  bool is_cnn() const { return !convolutions.empty(); }
};

/// A uint8 encoding: code c stands for scale · (c − zero_point).
struct Uint8Encoding {
  float scale = 1;
  int32_t zero_point = 0;
  float value(int32_t code) const { return scale * static_cast<float>(code - zero_point); }
};

/// The encoding of what `conv` reads: the model's input, or the convolution that produced it.
Uint8Encoding conv_input_encoding(const Int8Model& model, const QuantizedConvLayer& conv);

/// Height and width of convolution i's output, given the model's input shape (C, H, W).
struct ConvGeometry {
  int64_t in_height = 0, in_width = 0, out_height = 0, out_width = 0;
};
/// One entry per convolution; throws distill::Error when the input shape is not (C, H, W).
std::vector<ConvGeometry> conv_geometry(const Int8Model& model);

/// Weights and biases the model holds (int8 weights + float biases), for reports.
int64_t parameter_count(const Int8Model& model);

/// Throws distill::Error naming `source` and the offending field (layer index, size, scale)
/// unless the model is complete and consistent: sizes chain from input to num_classes, every
/// vector has its stated size, every scale is finite and positive, zero points fit uint8,
/// convolutions read only earlier outputs of matching shape.
void validate(const Int8Model& model, const std::string& source);

}  // namespace distill::runtime
