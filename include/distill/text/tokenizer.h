// The tokenizer interface: UTF-8 text to distill's token ids, the same in the tokenizer helper
// (for the libtorch side) and the int8 runtime. Two kinds sit behind it — SentencePiece models
// (trained by distill or brought by the user) and WordPiece vocabularies (BERT's vocab.txt) —
// told apart by their serialized bytes, which model files carry. Library distill_text; no
// libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace distill::text {

/// Ids follow tokenizer_options.h: 0 padding, 1 unknown, 2 <cls>, 3 <mask>, then the pieces.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual int32_t vocab_size() const = 0;
  /// The pieces' ids for `text` (UTF-8), without <cls>.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  /// The first `max_pieces` ids of encode(text), found by encoding growing prefixes of the text
  /// cut at a space: both kinds segment each space-separated word on its own, so a prefix's ids
  /// are the text's. A model keeps only its first pieces, and long texts cost their length.
  virtual std::vector<int32_t> encode_prefix(std::string_view text, size_t max_pieces) const;
  /// Whether a text's pieces are its space-separated words' pieces end to end: no piece spans a
  /// space and a word encodes the same alone as after a space. Then words can be encoded once and
  /// remembered (WordCachedTokenizer). (SentencePiece's unigram search may break a tie between two
  /// segmentations of equal score differently inside a text than for the word alone;
  /// word_cached_tokenizer.h says how distill settles that.)
  virtual bool encodes_words_independently() const = 0;
  /// The piece of an id ("▁the", "##ing"), for reports and tests.
  virtual std::string piece(int32_t id) const = 0;
  /// The bytes model files carry, from which load_tokenizer rebuilds this tokenizer.
  virtual const std::string& serialized() const = 0;
};

/// The tokenizer of serialized bytes (a model file's `tokenizer_model`, or a tokenizer file's
/// contents as read_tokenizer_file returns them); `source` names them in errors.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& serialized, const std::string& source);

}  // namespace distill::text
