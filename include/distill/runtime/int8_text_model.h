// The int8 text classifier of the libtorch-free runtime: a bag of embeddings (token rows and
// hashed bigram rows, int8 with a scale per row) averaged into one vector, then the int8 linear
// head the runtime already runs (an Int8Model over that vector). The file carries the
// SentencePiece tokenizer too, so one file turns UTF-8 text into logits. This part needs no
// tokenizer library: it starts from token ids (Int8TextClassifier in int8_text_classifier.h adds
// the tokenizer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "distill/runtime/int8_model.h"

namespace distill::runtime {

class Int8Classifier;

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
  /// The head over the pooled (embedding_dim) vector.
  Int8Model head;
  std::vector<std::string> class_names;
  std::string description;
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
class Int8BagRunner {
 public:
  explicit Int8BagRunner(const Int8TextModel& model, int threads = 1);
  ~Int8BagRunner();
  Int8BagRunner(Int8BagRunner&&) noexcept;

  /// The model's row for a text's ids: <cls> first when the model has it, cut to max_tokens.
  std::vector<int64_t> model_row(const std::vector<int32_t>& ids) const;
  /// rows: (batch, length) token ids as the student saw them (model_row, padded with 0);
  /// logits: (batch, classes).
  void logits(const int64_t* rows, int64_t batch, int64_t length, float* logits);
  /// The pooled vectors (batch, embedding_dim) of the same rows: the mean of the dequantized
  /// rows of every counted token and bigram (zeros for a text with none).
  void pool(const int64_t* rows, int64_t batch, int64_t length, float* pooled) const;

 private:
  const Int8TextModel* model_;
  std::unique_ptr<Int8Classifier> head_;
  std::vector<float> pooled_;
};

}  // namespace distill::runtime
