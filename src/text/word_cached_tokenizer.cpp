// Encoding text word by word through a table of the words seen before.
#include "distill/text/word_cached_tokenizer.h"

#include <limits>

#include "distill/core/error.h"

namespace distill::text {

WordCachedTokenizer::WordCachedTokenizer(std::unique_ptr<Tokenizer> inner, size_t capacity_words)
    : inner_(std::move(inner)), capacity_words_(capacity_words) {
  DISTILL_CHECK(inner_ != nullptr, "a word-cached tokenizer needs a tokenizer to wrap");
  DISTILL_CHECK(capacity_words_ > 0, "a word cache of 0 words");
  caching_ = inner_->encodes_words_independently();
}

size_t WordCachedTokenizer::cached_words() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return words_.size();
}

void WordCachedTokenizer::clear() const {
  std::lock_guard<std::mutex> lock(mutex_);
  words_.clear();
  word_ids_.clear();
}

void WordCachedTokenizer::append_word_ids(std::string_view text, size_t max_pieces,
                                          std::vector<int32_t>& ids) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string word;
  size_t start = 0;
  while (start < text.size() && ids.size() < max_pieces) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) {
      word.assign(text.data() + start, end - start);
      auto found = words_.find(word);
      if (found == words_.end()) {
        const std::vector<int32_t> encoded = inner_->encode(word);
        if (words_.size() >= capacity_words_ ||
            word_ids_.size() + encoded.size() > std::numeric_limits<uint32_t>::max()) {
          words_.clear();
          word_ids_.clear();
        }
        const Span span{static_cast<uint32_t>(word_ids_.size()),
                        static_cast<uint32_t>(encoded.size())};
        word_ids_.insert(word_ids_.end(), encoded.begin(), encoded.end());
        found = words_.emplace(std::move(word), span).first;
      }
      const int32_t* first = word_ids_.data() + found->second.first;
      ids.insert(ids.end(), first, first + found->second.count);
    }
    start = end + 1;
  }
}

std::vector<int32_t> WordCachedTokenizer::encode(std::string_view text) const {
  if (!caching_) return inner_->encode(text);
  std::vector<int32_t> ids;
  append_word_ids(text, std::numeric_limits<size_t>::max(), ids);
  return ids;
}

std::vector<int32_t> WordCachedTokenizer::encode_prefix(std::string_view text,
                                                        size_t max_pieces) const {
  if (!caching_) return inner_->encode_prefix(text, max_pieces);
  std::vector<int32_t> ids;
  ids.reserve(max_pieces + 16);
  append_word_ids(text, max_pieces, ids);
  if (ids.size() > max_pieces) ids.resize(max_pieces);
  return ids;
}

}  // namespace distill::text
