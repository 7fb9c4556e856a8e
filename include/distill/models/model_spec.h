// The description of a classifier's architecture, as given in the config and stored in model files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace distill::models {

enum class ModelKind {
  kMlp,        // fully connected layers
  kResNet,     // residual CNN (the usual teacher)
  kMobileNet,  // depthwise-separable CNN (the usual small student)
  kTorchScript,  // a module saved from PyTorch (teachers only; torchscript_classifier.h)
};

enum class Activation { kRelu, kGelu, kTanh };

struct ModelSpec {
  ModelKind kind = ModelKind::kMlp;
  /// The shape of one input sample: {C, H, W} for images, {F} for tabular data. Filled from the
  /// data when the config leaves it out.
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;

  /// MLP: hidden layer widths, their activation, and dropout after each hidden layer.
  std::vector<int64_t> hidden = {100};
  Activation activation = Activation::kRelu;
  double dropout = 0.0;

  /// CNNs: output channels of the stem and of each stage (each stage after the first halves
  /// the resolution), and the number of blocks in each stage.
  std::vector<int64_t> channels = {32, 64, 128};
  int64_t blocks_per_stage = 1;
};

/// Limits that keep hostile or mistyped specs (in configs and model files) from asking for
/// absurd allocations or overflowing size arithmetic: every width, channel count, class count
/// and input dimension, the number of layers or stages, and the parameter count.
inline constexpr int64_t kMaxModelDimension = int64_t{1} << 20;
inline constexpr size_t kMaxModelLayers = 256;
inline constexpr double kMaxModelParameters = 1e9;

/// Throws distill::Error when a field is out of range ("model.hidden[1] = 0: expected > 0").
/// `where` names the config section for the message (e.g. "teacher.model").
void validate_model_spec(const ModelSpec& spec, const std::string& where);

/// Parameters a valid spec's layers need at least (exact for an MLP, a lower bound for CNNs).
/// Model files store 4 bytes for each, which lets loaders reject a file too small for the
/// architecture it declares before allocating that architecture.
double minimum_parameter_count(const ModelSpec& spec);

/// One line for logs and tables: "mlp 784-1200-1200-10 relu dropout 0.2".
std::string describe_model_spec(const ModelSpec& spec);

/// JSON text of the spec (stored in model files) and back; errors name `source`.
std::string model_spec_to_json(const ModelSpec& spec);
ModelSpec model_spec_from_json(const std::string& json_text, const std::string& source);

/// The convolutional families (ResNet-style, MobileNet-style).
bool is_cnn(ModelKind kind);

const char* to_string(ModelKind kind);
const char* to_string(Activation activation);

}  // namespace distill::models
