// WordPiece tokenization as BERT's tokenizer does it (Hugging Face's BertTokenizer, "basic"
// then "wordpiece"): the text cleaned of control characters, CJK ideographs set apart, split at
// whitespace, lower-cased and stripped of accents (NFD, nonspacing marks dropped) for an uncased
// vocabulary, split at punctuation, then each word matched greedily longest-first against the
// vocabulary, continuations as "##piece", a word with no match (or over 100 characters) one
// [UNK]. Unicode properties come from utf8proc. Ids are distill's (wordpiece_vocabulary.h).
// Library distill_text; no libtorch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "distill/text/tokenizer.h"
#include "distill/text/wordpiece_vocabulary.h"

namespace distill::text {

class WordPieceTokenizer : public Tokenizer {
 public:
  /// Words longer than this (in code points) become [UNK], as in BERT.
  static constexpr size_t kMaxWordCharacters = 100;

  /// From serialize_wordpiece_vocabulary's bytes; `source` names them in errors.
  static WordPieceTokenizer from_serialized(const std::string& bytes, const std::string& source);
  /// A vocab.txt file, lower-casing texts or not.
  static WordPieceTokenizer load(const std::filesystem::path& path, bool lowercase);

  int32_t vocab_size() const override { return static_cast<int32_t>(vocabulary_.tokens.size()); }
  std::vector<int32_t> encode(std::string_view text) const override;
  std::string piece(int32_t id) const override;
  const std::string& serialized() const override { return serialized_; }
  /// BERT's basic tokenization splits at whitespace first and never joins words.
  bool encodes_words_independently() const override { return true; }
  const WordPieceVocabulary& vocabulary() const { return vocabulary_; }

  /// BERT's basic tokenization of `text`: the words and punctuation marks WordPiece then splits.
  static std::vector<std::string> basic_tokens(std::string_view text, bool lowercase);

 private:
  WordPieceTokenizer(WordPieceVocabulary vocabulary, std::string serialized);
  /// Appends the ids of one basic token.
  void append_word_pieces(const std::string& word, std::vector<int32_t>& ids) const;

  WordPieceVocabulary vocabulary_;
  std::unordered_map<std::string, int32_t> id_of_;
  std::string serialized_;
};

}  // namespace distill::text
