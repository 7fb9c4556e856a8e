// A tokenizer that remembers the ids of every space-separated word it has encoded: a text is
// split at spaces and each word's ids come from a table, the wrapped tokenizer running only for
// words not seen yet. Used only when the wrapped tokenizer segments every word on its own
// (Tokenizer::encodes_words_independently). Natural text repeats its words (a Zipf law), so at
// deployment most words are in the table and a text costs a hash lookup per word — what
// fastText's dictionary lookup costs — instead of a lattice search per piece.
//
// The ids are the wrapped tokenizer's for each word. For WordPiece they are its ids for the whole
// text. For SentencePiece they are too, except where its unigram search meets two segmentations
// of one word with exactly the same score (a run of one letter: "xxxx" as xx·x·x or x·xx·x):
// inside a text it picks one by the floating-point rounding of the text's running score, so the
// same word can come out either way in different texts; here a word always comes out one way.
// On the Debian corpus (8,000 pieces) that is 48 of 61,089 texts, every one an exact tie
// (word_cached_tokenizer_test). distill tokenizes this way everywhere — the tokenizer helper that
// encodes training and evaluation data and the int8 runtime — so training and deployment agree.
// Library distill_text; no libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "distill/text/tokenizer.h"

namespace distill::text {

class WordCachedTokenizer : public Tokenizer {
 public:
  /// Words remembered before the table starts over (about 100 bytes each).
  static constexpr size_t kDefaultCapacityWords = size_t{1} << 17;

  /// Wraps `inner`. When inner cannot be split at spaces (a piece spans a space, or a word
  /// encodes differently after a space than alone), every call goes to inner unchanged.
  explicit WordCachedTokenizer(std::unique_ptr<Tokenizer> inner,
                               size_t capacity_words = kDefaultCapacityWords);

  int32_t vocab_size() const override { return inner_->vocab_size(); }
  std::vector<int32_t> encode(std::string_view text) const override;
  std::vector<int32_t> encode_prefix(std::string_view text, size_t max_pieces) const override;
  std::string piece(int32_t id) const override { return inner_->piece(id); }
  const std::string& serialized() const override { return inner_->serialized(); }
  bool encodes_words_independently() const override { return caching_; }

  /// Whether words are cached (false: inner's segmentation crosses spaces).
  bool caches_words() const { return caching_; }
  /// Words in the table now.
  size_t cached_words() const;
  /// Forgets every word (for measuring a cold table).
  void clear() const;
  const Tokenizer& inner() const { return *inner_; }

 private:
  /// Appends the ids of the words of `text` until `max_pieces` ids are there.
  void append_word_ids(std::string_view text, size_t max_pieces, std::vector<int32_t>& ids) const;

  struct Span {
    uint32_t first;
    uint32_t count;
  };

  std::unique_ptr<Tokenizer> inner_;
  size_t capacity_words_;
  bool caching_;
  // Thread-safe: one lock per text (uncontended it costs a few tens of nanoseconds).
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Span> words_;
  mutable std::vector<int32_t> word_ids_;  // every cached word's ids, end to end
};

}  // namespace distill::text
