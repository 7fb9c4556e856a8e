// One call from a UTF-8 string to logits: the int8 text model's own tokenizer (SentencePiece or
// WordPiece), then its int8 encoder and head. Library distill_text_runtime (the runtime plus
// distill_text); no libtorch.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "distill/runtime/int8_text_model.h"

namespace distill::text {
class WordCachedTokenizer;
}

namespace distill::runtime {

class Int8TextClassifier {
 public:
  explicit Int8TextClassifier(Int8TextModel model, int threads = 1);
  static Int8TextClassifier load(const std::string& path, int threads = 1);
  ~Int8TextClassifier();
  Int8TextClassifier(Int8TextClassifier&&) noexcept;

  const Int8TextModel& model() const { return *model_; }
  /// Logits (classes) of one text; tokenization included.
  std::vector<float> logits(std::string_view text);
  /// Logits (texts.size(), classes) of several texts, row-major.
  std::vector<float> logits(const std::vector<std::string>& texts);
  /// The arg-max class's index and its name ("" when the model has no class names).
  int64_t predict(std::string_view text);
  const std::string& class_name(int64_t index) const;
  /// The token ids the model reads for `text` (<cls> first when it has it, cut to max_tokens).
  std::vector<int64_t> model_row(std::string_view text) const;
  /// The model's tokenizer behind a table of the words it has encoded, as the tokenizer helper
  /// that encoded the model's training texts (text/word_cached_tokenizer.h).
  const text::WordCachedTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<Int8TextModel> model_;  // stable address for the runner
  std::unique_ptr<text::WordCachedTokenizer> tokenizer_;
  std::unique_ptr<Int8TextRunner> runner_;
};

}  // namespace distill::runtime
