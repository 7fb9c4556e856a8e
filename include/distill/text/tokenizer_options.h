// How a subword vocabulary is trained. Plain data without SentencePiece, so the libtorch side can
// carry it to the tokenizer helper process (tokenizer_process.h).
#pragma once

#include <cstdint>
#include <string>

namespace distill::text {

enum class SubwordModel { kUnigram, kBpe };

const char* to_string(SubwordModel model);

struct TokenizerOptions {
  int64_t vocab_size = 8000;
  SubwordModel model = SubwordModel::kUnigram;
  /// The share of characters the vocabulary must cover; rarer ones become <unk>.
  double character_coverage = 0.9995;
};

/// Throws distill::Error naming the field for an out-of-range option.
void validate_tokenizer_options(const TokenizerOptions& options, const std::string& where);

/// The ids SentencePieceTokenizer gives its special pieces: padding, the unknown piece, <cls> (a
/// sequence's first position for [CLS] pooling) and <mask> (masked-token pretraining and
/// augmentation). The vocabulary's own pieces follow.
inline constexpr int32_t kPadTokenId = 0;
inline constexpr int32_t kUnknownTokenId = 1;
inline constexpr int32_t kClsTokenId = 2;
inline constexpr int32_t kMaskTokenId = 3;
inline constexpr int32_t kFirstPieceId = 4;

}  // namespace distill::text
