// SentencePiece trained with its own command-line flags in memory, for tests that need a model
// distill would not train (other special ids, other segmentation options).
#pragma once

#include <sentencepiece_trainer.h>

#include <string>
#include <vector>

namespace distill::testing {

/// The serialized model SentencePiece trains on `texts` with `flags` (spm_train's syntax), or ""
/// with the failure in `error`.
inline std::string train_sentencepiece_with_flags(const std::vector<std::string>& texts,
                                                  const std::string& flags, std::string* error) {
  struct Iterator : sentencepiece::SentenceIterator {
    explicit Iterator(const std::vector<std::string>& t) : texts(t) {}
    bool done() const override { return i >= texts.size(); }
    void Next() override { ++i; }
    const std::string& value() const override { return texts[i]; }
    sentencepiece::util::Status status() const override { return {}; }
    const std::vector<std::string>& texts;
    size_t i = 0;
  } iterator(texts);
  std::string serialized;
  const auto status = sentencepiece::SentencePieceTrainer::Train(flags, &iterator, &serialized);
  if (!status.ok()) {
    if (error) *error = status.ToString();
    return "";
  }
  return serialized;
}

}  // namespace distill::testing
