// The description of a classifier's architecture, as given in the config and stored in model
// files. Which architectures exist is the family registry's business (model_family.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace distill::models {

/// The name of a model family ("mlp", "transformer", ...). The families built into distill have
/// constants here; every family, these and any added later, is listed by model_family.h's
/// registry. Holds a pointer to the family's static name, so it is cheap and constant-initialised.
class ModelKind {
 public:
  constexpr ModelKind() = default;
  constexpr explicit ModelKind(const char* name) : name_(name) {}

  static const ModelKind kMlp;               // fully connected layers
  static const ModelKind kResNet;            // residual CNN (the usual image teacher)
  static const ModelKind kMobileNet;         // depthwise-separable CNN (small image student)
  static const ModelKind kTorchScript;       // a module saved from PyTorch (teachers only)
  static const ModelKind kTransformer;       // Transformer encoder over token ids (text teacher)
  static const ModelKind kBagOfEmbeddings;   // fastText-style mean of token/bigram embeddings
  static const ModelKind kTextCnn;           // 1-D convolutions over token embeddings (Kim 2014)
  static const ModelKind kBiLstm;            // bidirectional LSTM over token embeddings (Tang 2019)

  const char* name() const { return name_; }
  friend bool operator==(ModelKind a, ModelKind b) { return std::strcmp(a.name_, b.name_) == 0; }
  friend bool operator!=(ModelKind a, ModelKind b) { return !(a == b); }

 private:
  const char* name_ = "mlp";
};

inline constexpr ModelKind ModelKind::kMlp{"mlp"};
inline constexpr ModelKind ModelKind::kResNet{"resnet"};
inline constexpr ModelKind ModelKind::kMobileNet{"mobilenet"};
inline constexpr ModelKind ModelKind::kTorchScript{"torchscript"};
inline constexpr ModelKind ModelKind::kTransformer{"transformer"};
inline constexpr ModelKind ModelKind::kBagOfEmbeddings{"bag_of_embeddings"};
inline constexpr ModelKind ModelKind::kTextCnn{"text_cnn"};
inline constexpr ModelKind ModelKind::kBiLstm{"bilstm"};

enum class Activation { kRelu, kGelu, kTanh };

/// How a sequence model turns its positions into one vector: the first (<cls>) position, or the
/// mean over the text's (non-padding) positions.
enum class Pooling { kCls, kMean };

struct ModelSpec {
  ModelKind kind = ModelKind::kMlp;
  /// The shape of one input sample: {C, H, W} for images, {F} for tabular data, {L} token ids for
  /// text. Filled from the data when the config leaves it out.
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;

  /// MLP: hidden layer widths, their activation, and dropout after each hidden layer. Dropout
  /// also applies to the text families (after embeddings and sublayers; before the head).
  /// BiLSTM: hidden = {units per direction}.
  std::vector<int64_t> hidden = {100};
  Activation activation = Activation::kRelu;
  double dropout = 0.0;

  /// CNNs: output channels of the stem and of each stage (each stage after the first halves
  /// the resolution), and the number of blocks in each stage.
  std::vector<int64_t> channels = {32, 64, 128};
  int64_t blocks_per_stage = 1;

  /// Text families: token ids are < vocab_size (the tokenizer's; filled from the data).
  int64_t vocab_size = 0;
  /// Width of the token embeddings (the Transformer's model width).
  int64_t embedding_dim = 128;
  /// Transformer: encoder layers (BiLSTM: stacked LSTM layers), attention heads (embedding_dim divisible by them), the
  /// feed-forward width, and the pooling before the classifier.
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t feed_forward = 512;
  Pooling pooling = Pooling::kCls;
  /// Bag of embeddings: hashed buckets for adjacent-token bigrams (0: unigrams only).
  int64_t bigram_buckets = 0;
  /// Text CNN: the widths (in tokens) of its convolutions and the filters of each width.
  std::vector<int64_t> kernel_widths = {3, 4, 5};
  int64_t filters = 100;
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
/// The families that read token ids (text).
bool takes_token_ids(ModelKind kind);

inline const char* to_string(ModelKind kind) { return kind.name(); }
const char* to_string(Activation activation);
const char* to_string(Pooling pooling);

}  // namespace distill::models
