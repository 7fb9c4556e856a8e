// Tokenize, pool, classify.
#include "distill/runtime/int8_text_classifier.h"

#include <algorithm>

#include "distill/core/error.h"
#include "distill/text/tokenizer.h"
#include "distill/text/word_cached_tokenizer.h"

namespace distill::runtime {

Int8TextClassifier::Int8TextClassifier(Int8TextModel model, int threads)
    : model_(std::make_unique<Int8TextModel>(std::move(model))) {
  tokenizer_ = std::make_unique<text::WordCachedTokenizer>(
      text::load_tokenizer(model_->tokenizer_model, "the int8 text model's tokenizer"));
  DISTILL_CHECK(tokenizer_->vocab_size() == model_->vocab_size, "the int8 text model's tokenizer has ",
                tokenizer_->vocab_size(), " pieces but its embeddings ", model_->vocab_size);
  runner_ = std::make_unique<Int8TextRunner>(*model_, threads);
}

Int8TextClassifier Int8TextClassifier::load(const std::string& path, int threads) {
  return Int8TextClassifier(load_int8_text_model(path), threads);
}

Int8TextClassifier::~Int8TextClassifier() = default;
Int8TextClassifier::Int8TextClassifier(Int8TextClassifier&&) noexcept = default;

std::vector<int64_t> Int8TextClassifier::model_row(std::string_view text) const {
  const size_t pieces = static_cast<size_t>(model_->max_tokens - (model_->cls_first ? 1 : 0));
  return runner_->model_row(tokenizer_->encode_prefix(text, pieces));
}

std::vector<float> Int8TextClassifier::logits(std::string_view text) {
  const std::vector<int64_t> row = model_row(text);
  std::vector<float> out(static_cast<size_t>(model_->head.num_classes));
  runner_->logits(row.data(), 1, static_cast<int64_t>(row.size()), out.data());
  return out;
}

std::vector<float> Int8TextClassifier::logits(const std::vector<std::string>& texts) {
  // One padded batch: padding (id 0) does not count in the bag.
  std::vector<std::vector<int64_t>> rows;
  size_t length = 1;
  for (const std::string& text : texts) {
    rows.push_back(model_row(text));
    length = std::max(length, rows.back().size());
  }
  std::vector<int64_t> batch(rows.size() * length, 0);
  for (size_t i = 0; i < rows.size(); ++i) std::copy(rows[i].begin(), rows[i].end(), &batch[i * length]);
  std::vector<float> out(texts.size() * static_cast<size_t>(model_->head.num_classes));
  runner_->logits(batch.data(), static_cast<int64_t>(texts.size()), static_cast<int64_t>(length),
                  out.data());
  return out;
}

int64_t Int8TextClassifier::predict(std::string_view text) {
  const std::vector<float> scores = logits(text);
  return std::max_element(scores.begin(), scores.end()) - scores.begin();
}

const std::string& Int8TextClassifier::class_name(int64_t index) const {
  static const std::string none;
  if (index < 0 || index >= static_cast<int64_t>(model_->class_names.size())) return none;
  return model_->class_names[static_cast<size_t>(index)];
}

}  // namespace distill::runtime
