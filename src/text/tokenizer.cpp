// The tokenizer interface's shared prefix encoding, and the choice between the two kinds.
#include "distill/text/tokenizer.h"

#include <algorithm>

#include "distill/text/sentencepiece_tokenizer.h"
#include "distill/text/wordpiece_tokenizer.h"
#include "distill/text/wordpiece_vocabulary.h"

namespace distill::text {

std::vector<int32_t> Tokenizer::encode_prefix(std::string_view text,
                                              size_t max_pieces) const {
  // A piece holds a few bytes: start from 8 bytes a piece and double until enough pieces come
  // out or the whole text was encoded. The cut lies at a space, so the prefix ends with a whole
  // word and its ids are the first ids of the whole text.
  size_t bytes = std::max<size_t>(64, 8 * max_pieces);
  while (bytes < text.size()) {
    const size_t cut = text.rfind(' ', bytes);
    if (cut != std::string_view::npos && cut > 0) {
      std::vector<int32_t> ids = encode(text.substr(0, cut));
      if (ids.size() >= max_pieces) {
        ids.resize(max_pieces);
        return ids;
      }
    }
    bytes *= 2;
  }
  std::vector<int32_t> ids = encode(text);
  if (ids.size() > max_pieces) ids.resize(max_pieces);
  return ids;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& serialized, const std::string& source) {
  if (is_serialized_wordpiece_vocabulary(serialized))
    return std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::from_serialized(serialized, source));
  return std::make_unique<SentencePieceTokenizer>(
      SentencePieceTokenizer::from_serialized(serialized, source));
}

}  // namespace distill::text
