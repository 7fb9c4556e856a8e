// Subword tokenization with SentencePiece (Debian's libsentencepiece): a unigram or BPE
// vocabulary trained on the training split's texts, kept as its serialized model so that every
// model file that uses it carries it, and used identically in training, evaluation and the
// int8 runtime. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "distill/text/tokenizer.h"
#include "distill/text/tokenizer_options.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace distill::text {

/// A trained SentencePiece vocabulary. Ids: 0 is padding, 1 the unknown piece, 2 <cls> (a
/// sequence's first position for [CLS] pooling), 3 <mask> (masked-token pretraining); the
/// vocabulary's pieces follow.
class SentencePieceTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kPadId = kPadTokenId;
  static constexpr int32_t kUnknownId = kUnknownTokenId;
  static constexpr int32_t kClsId = kClsTokenId;
  static constexpr int32_t kMaskId = kMaskTokenId;

  /// Trains on `texts` in memory, deterministically (the same texts give the same bytes).
  static SentencePieceTokenizer train(const std::vector<std::string>& texts,
                                      const TokenizerOptions& options);
  /// From a serialized model (serialized(), or a `.model` file's bytes); `source` names it in
  /// errors. Refuses a model whose special ids differ from the ones above.
  static SentencePieceTokenizer from_serialized(const std::string& bytes, const std::string& source);
  static SentencePieceTokenizer load(const std::filesystem::path& path);
  /// Writes the serialized model atomically (a standard SentencePiece `.model` file).
  void save(const std::filesystem::path& path) const;

  const std::string& serialized() const override { return serialized_; }
  int32_t vocab_size() const override;
  std::vector<int32_t> encode(std::string_view text) const override;
  /// The text back from ids (padding and control ids dropped).
  std::string decode(const std::vector<int32_t>& ids) const;
  std::string piece(int32_t id) const override;
  /// The piece's score in the model (a unigram model's log-probability; a segmentation's score
  /// is the sum over its pieces).
  float piece_score(int32_t id) const;
  /// Read from the model when it loads: no piece holds "▁" past its first character (trained
  /// with split_by_whitespace, as distill trains) and a word encodes the same alone, after one
  /// space and after two (a dummy prefix, extra whitespace removed).
  bool encodes_words_independently() const override { return words_independent_; }

 private:
  SentencePieceTokenizer(std::shared_ptr<const sentencepiece::SentencePieceProcessor> processor,
                         std::string serialized);
  /// Throws distill::Error naming `id` and the vocabulary's range when it is outside it.
  void check_id(int32_t id) const;
  std::shared_ptr<const sentencepiece::SentencePieceProcessor> processor_;
  std::string serialized_;
  bool words_independent_ = false;
};

}  // namespace distill::text
