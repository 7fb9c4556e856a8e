// The int8 model the runtime executes: an MLP of quantized linear layers. What the exporter
// writes (compression/), what the model file holds (int8_model_file.h), what Int8Classifier runs.
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

struct Int8Model {
  /// Shape of one input sample (e.g. {1, 28, 28}); inputs are flattened row-major.
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;
  ActivationQuantization activations = ActivationQuantization::kStatic;
  /// Static mode: how float inputs become uint8. The exporter folds the training normalisation
  /// into the first layer, so inputs are the raw features (pixels scaled to [0, 1]).
  float input_scale = 1;
  int32_t input_zero_point = 0;
  std::vector<QuantizedLinearLayer> layers;
  /// Free text for people: the architecture and how it was quantized.
  std::string description;

  int64_t input_features() const;
};

/// Throws distill::Error naming `source` and the offending field (layer index, size, scale)
/// unless the model is complete and consistent: sizes chain from input to num_classes, every
/// vector has its stated size, every scale is finite and positive, zero points fit uint8.
void validate(const Int8Model& model, const std::string& source);

}  // namespace distill::runtime
