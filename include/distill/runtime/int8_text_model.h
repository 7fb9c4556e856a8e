// The int8 text classifiers of the libtorch-free runtime. Token rows (int8 with a scale per row)
// become one vector, then the int8 linear head the runtime already runs (an Int8Model over that
// vector). Two encoders make the vector: the bag (token and hashed-bigram rows averaged:
// fastText's student) and the convolutions (the text's rows as a uint8 sequence, 1-D
// convolutions of several widths as int8 GEMMs over its windows, ReLU, each filter's maximum:
// Kim's CNN). The file carries the SentencePiece tokenizer too, so one file turns UTF-8 text into
// logits. This part needs no tokenizer library: it starts from token ids (Int8TextClassifier in
// int8_text_classifier.h adds the tokenizer).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distill/runtime/int8_model.h"

namespace distill::runtime {

class Int8Classifier;
class SpinningWorkers;
enum class Int8Kernels;

/// How the token rows become the head's input.
enum class TextEncoder { kBag, kConvolutions, kRecurrent };

const char* to_string(TextEncoder encoder);

/// One width of the convolutional encoder: `filters` outputs over windows of `width` tokens,
///   y[f] = sequence_scale · weight_scales[f] · Σ (x − sequence_zero_point) · w[f] + bias[f],
/// the window's codes read position by position (width × embedding_dim, row-major) — PyTorch's
/// Conv1d weight (filters, E, width) transposed to (filters, width, E).
struct QuantizedTextConvolution {
  int64_t width = 0;
  int64_t filters = 0;
  std::vector<int8_t> weights;       // filters × width·E
  std::vector<float> weight_scales;  // filters
  std::vector<float> bias;           // filters
};

/// One direction of one bidirectional LSTM layer (gates i, f, g, o as PyTorch orders them):
///   gates = W_ih·x_t + W_hh·h_{t−1} + bias, both products int8 GEMMs — x_t in the layer's uint8
/// input encoding, h_{t−1} in the state encoding (kLstmStateScale, kLstmStateZeroPoint) — and
/// the cell state, the gates' nonlinearities and h_t in float.
struct QuantizedLstmDirection {
  std::vector<int8_t> input_weights;      // 4H × input width, row-major
  std::vector<float> input_scales;        // 4H
  std::vector<int8_t> recurrent_weights;  // 4H × H
  std::vector<float> recurrent_scales;    // 4H
  std::vector<float> bias;                // 4H: PyTorch's b_ih + b_hh
};

/// A hidden state lies in (−1, 1): it is quantized as round(h · 127) + 128, exactly the same way
/// in every model, so the recurrent encoder needs no calibration beyond its input sequence.
inline constexpr float kLstmStateScale = 1.0f / 127.0f;
inline constexpr int32_t kLstmStateZeroPoint = 128;

struct Int8TextModel {
  /// The serialized SentencePiece model that makes the token ids.
  std::string tokenizer_model;
  /// How a text's ids become the model's row: <cls> first when cls_first, cut at max_tokens
  /// (<cls> included) — what the student saw in training.
  int64_t max_tokens = 0;
  bool cls_first = true;
  int64_t vocab_size = 0;
  int64_t bigram_buckets = 0;
  int64_t embedding_dim = 0;
  /// (vocab_size + bigram_buckets) rows of embedding_dim codes; row r stands for
  /// row_scales[r] · code.
  std::vector<int8_t> embeddings;
  std::vector<float> row_scales;
  TextEncoder encoder = TextEncoder::kBag;
  /// Convolutions: a text's dequantized rows quantized to uint8 with this scale and zero point
  /// (static, from calibration), and the convolutions, whose maxima are joined in order. A text
  /// has windows at positions 0 .. max(0, tokens − width); shorter texts are padded to the width.
  float sequence_scale = 1;
  int32_t sequence_zero_point = 0;
  std::vector<QuantizedTextConvolution> convolutions;
  /// Recurrent: a bidirectional LSTM of lstm_units per direction, its directions in order
  /// (layer 1 forward, layer 1 backward, layer 2 forward, ...). The first layer reads the
  /// sequence (sequence_scale, sequence_zero_point), later ones the states of both directions
  /// (2·lstm_units, the state encoding). The head reads the forward state after a text's last
  /// token joined with the backward state after its first.
  int64_t lstm_units = 0;
  std::vector<QuantizedLstmDirection> lstm;
  /// The head over the pooled vector (head_input_width(): embedding_dim for the bag, the
  /// convolutions' filters together for the convolutions).
  Int8Model head;
  std::vector<std::string> class_names;
  std::string description;

  int64_t head_input_width() const;
  /// Parameters the model holds: embedding codes, convolution weights and biases, the head's.
  int64_t parameter_count() const;
};

/// Throws distill::Error naming `where` and the field for an inconsistent model.
void validate_int8_text_model(const Int8TextModel& model, const std::string& where);

inline constexpr char kInt8TextModelMagic[9] = "DSTLTXT8";

/// The file's bytes (a preamble like the int8 model file's, a JSON header, aligned arrays).
std::string encode_int8_text_model(const Int8TextModel& model);
/// Parses and validates; `source` names the file in errors. Truncated, corrupt or hostile bytes
/// give an error, never an out-of-bounds read.
Int8TextModel decode_int8_text_model(const std::string& bytes, const std::string& source);
Int8TextModel load_int8_text_model(const std::string& path);
/// Whether `bytes` start with the text model's magic.
bool is_int8_text_model(const std::string& bytes);

/// Runs a text model from token ids (the tokenizer's output, before <cls> and cutting).
/// `threads` (0: OpenMP's count) share a batch's texts: each thread pools its texts — the bag's
/// slice, the convolutions' chunks, the recurrence's slice — and runs them through its own copy
/// of the head at once, while they are in its cache; `kernels` picks the plain reference GEMMs or
/// oneDNN's (tests hold them together).
class Int8TextRunner {
 public:
  explicit Int8TextRunner(const Int8TextModel& model, int threads = 1);
  Int8TextRunner(const Int8TextModel& model, int threads, Int8Kernels kernels);
  ~Int8TextRunner();
  Int8TextRunner(Int8TextRunner&&) noexcept;

  /// The model's row for a text's ids: <cls> first when the model has it, cut to max_tokens.
  std::vector<int64_t> model_row(const std::vector<int32_t>& ids) const;
  /// rows: (batch, length) token ids as the student saw them (model_row, padded with 0);
  /// logits: (batch, classes).
  void logits(const int64_t* rows, int64_t batch, int64_t length, float* logits);
  /// The head's inputs (batch, head_input_width()) for the same rows. Bag: the mean of the
  /// dequantized rows of every counted token and bigram (zeros for a text with none).
  /// Convolutions: each filter's largest ReLU output over the text's windows. Recurrent: the
  /// last layer's final forward and backward states.
  void pool(const int64_t* rows, int64_t batch, int64_t length, float* pooled);

 private:
  /// Called by the thread that pooled texts [begin, end) right after it did, with its slice
  /// index; empty when only the pooled rows are wanted.
  using PooledTexts = std::function<void(int slice, int64_t begin, int64_t end)>;
  void pool_texts(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                  const PooledTexts& pooled_texts);
  void pool_bag(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                const PooledTexts& pooled_texts);
  /// Every row's codes in the sequence encoding, (batch, positions, E), positions ≥ length
  /// padded; fills the texts' lengths (at least 1).
  void encode_sequences(const int64_t* rows, int64_t batch, int64_t length, int64_t positions);
  void pool_convolutions(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                         const PooledTexts& pooled_texts);
  void pool_recurrent(const int64_t* rows, int64_t batch, int64_t length, float* pooled,
                      const PooledTexts& pooled_texts);
  /// Runs task(0) … task(slices − 1), on the run's threads when slices > 1.
  void run_slices(int64_t slices, const std::function<void(int)>& task);

  struct Sequences;
  struct Convolutions;
  struct Recurrent;
  const Int8TextModel* model_;
  int threads_ = 1;
  std::unique_ptr<SpinningWorkers> workers_;  // started by the first batch that splits
  /// One copy of the small int8 head per thread, each run on its thread alone (a head's own
  /// pool of spinning workers would contend with the runner's for the cores).
  std::vector<Int8Classifier> heads_;
  std::unique_ptr<Sequences> sequences_;
  std::unique_ptr<Convolutions> convolutions_;
  std::unique_ptr<Recurrent> recurrent_;
  std::vector<float> pooled_;
};

/// The runner's former name (distill 0.x, when the bag was the only text encoder).
using Int8BagRunner = Int8TextRunner;

}  // namespace distill::runtime
