// BERT's basic and WordPiece tokenization over utf8proc's Unicode tables.
#include "distill/text/wordpiece_tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/text/tokenizer_options.h"

namespace distill::text {
namespace {

using CodePoints = std::vector<int32_t>;

constexpr int32_t kReplacementCharacter = 0xfffd;
constexpr int32_t kCapitalSigma = 0x3a3;
constexpr int32_t kSmallSigma = 0x3c3;
constexpr int32_t kFinalSigma = 0x3c2;

/// Code points of UTF-8 text; an invalid byte reads as U+FFFD (which cleaning then drops).
CodePoints decode_utf8(std::string_view text) {
  CodePoints out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    utf8proc_int32_t code = -1;
    const utf8proc_ssize_t length =
        utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(text.size() - i), &code);
    if (length <= 0) {
      out.push_back(kReplacementCharacter);
      ++i;
    } else {
      out.push_back(code);
      i += static_cast<size_t>(length);
    }
  }
  return out;
}

void append_utf8(int32_t code, std::string& out) {
  utf8proc_uint8_t buffer[4];
  const utf8proc_ssize_t length = utf8proc_encode_char(code, buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(length));
}

std::string encode_utf8(CodePoints::const_iterator begin, CodePoints::const_iterator end) {
  std::string out;
  for (auto it = begin; it != end; ++it) append_utf8(*it, out);
  return out;
}

utf8proc_category_t category(int32_t code) { return utf8proc_category(code); }

// The character classes of BertTokenizer (transformers' tokenization_bert.py).
bool is_whitespace(int32_t code) {
  return code == ' ' || code == '\t' || code == '\n' || code == '\r' ||
         category(code) == UTF8PROC_CATEGORY_ZS;
}

bool is_control(int32_t code) {
  if (code == '\t' || code == '\n' || code == '\r') return false;
  switch (category(code)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: return true;
    default: return false;
  }
}

/// Where Python's str.split() splits a cleaned text: spaces (every whitespace became one) and
/// the line and paragraph separators, which cleaning keeps.
bool splits_words(int32_t code) {
  return code == ' ' || category(code) == UTF8PROC_CATEGORY_ZL ||
         category(code) == UTF8PROC_CATEGORY_ZP;
}

bool is_punctuation(int32_t code) {
  // Every non-alphanumeric ASCII character counts, "$" and "^" included, as in BERT.
  if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) ||
      (code >= 123 && code <= 126))
    return true;
  switch (category(code)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: return true;
    default: return false;
  }
}

/// CJK Unified Ideographs and their extensions and compatibility blocks (not Hangul or kana).
bool is_cjk_ideograph(int32_t code) {
  return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) ||
         (code >= 0x20000 && code <= 0x2a6df) || (code >= 0x2a700 && code <= 0x2b73f) ||
         (code >= 0x2b740 && code <= 0x2b81f) || (code >= 0x2b820 && code <= 0x2ceaf) ||
         (code >= 0xf900 && code <= 0xfaff) || (code >= 0x2f800 && code <= 0x2fa1f);
}

bool is_cased(int32_t code) {
  const auto c = category(code);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
}

bool is_case_ignorable(int32_t code) {
  switch (category(code)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_SK: return true;
    default: return code == '\'' || code == '.' || code == ':' || code == 0xb7 || code == 0x2019;
  }
}

/// Python's str.lower(): the simple lower-case mapping, and Σ as final ς when a cased letter
/// precedes it and none follows (case-ignorable characters skipped), as Unicode's Final_Sigma.
CodePoints lower_cased(const CodePoints& word) {
  CodePoints out(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != kCapitalSigma) {
      out[i] = utf8proc_tolower(word[i]);
      continue;
    }
    size_t before = i;
    while (before > 0 && is_case_ignorable(word[before - 1])) --before;
    size_t after = i + 1;
    while (after < word.size() && is_case_ignorable(word[after])) ++after;
    const bool final = before > 0 && is_cased(word[before - 1]) &&
                       !(after < word.size() && is_cased(word[after]));
    out[i] = final ? kFinalSigma : kSmallSigma;
  }
  return out;
}

/// Canonical decomposition (NFD) with the nonspacing marks dropped: "é" -> "e".
CodePoints without_accents(const CodePoints& word) {
  const std::string utf8 = encode_utf8(word.begin(), word.end());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_STABLE);
  CodePoints decomposed(utf8.size() * 4 + 4);  // NFD grows a code point to at most a few
  utf8proc_ssize_t count = utf8proc_decompose(bytes, static_cast<utf8proc_ssize_t>(utf8.size()),
                                              decomposed.data(),
                                              static_cast<utf8proc_ssize_t>(decomposed.size()), options);
  if (count > static_cast<utf8proc_ssize_t>(decomposed.size())) {
    decomposed.resize(static_cast<size_t>(count));
    count = utf8proc_decompose(bytes, static_cast<utf8proc_ssize_t>(utf8.size()), decomposed.data(),
                               count, options);
  }
  DISTILL_CHECK(count >= 0, "Unicode decomposition failed: ", utf8proc_errmsg(count));
  decomposed.resize(static_cast<size_t>(count));
  decomposed.erase(std::remove_if(decomposed.begin(), decomposed.end(),
                                  [](int32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }),
                   decomposed.end());
  return decomposed;
}

/// BERT's basic tokenization, as code points.
std::vector<CodePoints> basic_words(std::string_view text, bool lowercase) {
  // Clean: drop NUL, U+FFFD and control characters; every whitespace becomes a space; CJK
  // ideographs stand alone.
  CodePoints cleaned;
  for (int32_t code : decode_utf8(text)) {
    if (code == 0 || code == kReplacementCharacter || is_control(code)) continue;
    if (is_whitespace(code)) {
      cleaned.push_back(' ');
    } else if (is_cjk_ideograph(code)) {
      cleaned.insert(cleaned.end(), {' ', code, ' '});
    } else {
      cleaned.push_back(code);
    }
  }
  std::vector<CodePoints> words;
  for (size_t start = 0; start < cleaned.size();) {
    if (splits_words(cleaned[start])) {
      ++start;
      continue;
    }
    size_t end = start;
    while (end < cleaned.size() && !splits_words(cleaned[end])) ++end;
    CodePoints token(cleaned.begin() + static_cast<ptrdiff_t>(start),
                     cleaned.begin() + static_cast<ptrdiff_t>(end));
    if (lowercase) token = without_accents(lower_cased(token));
    // Each punctuation character becomes a word of its own.
    CodePoints run;
    for (int32_t code : token) {
      if (is_punctuation(code)) {
        if (!run.empty()) words.push_back(std::move(run));
        run.clear();
        words.push_back({code});
      } else {
        run.push_back(code);
      }
    }
    if (!run.empty()) words.push_back(std::move(run));
    start = end;
  }
  return words;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(WordPieceVocabulary vocabulary, std::string serialized)
    : vocabulary_(std::move(vocabulary)), serialized_(std::move(serialized)) {
  id_of_.reserve(vocabulary_.tokens.size());
  for (size_t id = 0; id < vocabulary_.tokens.size(); ++id)
    id_of_.emplace(vocabulary_.tokens[id], static_cast<int32_t>(id));
}

WordPieceTokenizer WordPieceTokenizer::from_serialized(const std::string& bytes,
                                                       const std::string& source) {
  return WordPieceTokenizer(deserialize_wordpiece_vocabulary(bytes, source), bytes);
}

WordPieceTokenizer WordPieceTokenizer::load(const std::filesystem::path& path, bool lowercase) {
  return from_serialized(read_tokenizer_file(path, lowercase), "'" + path.string() + "'");
}

std::vector<std::string> WordPieceTokenizer::basic_tokens(std::string_view text, bool lowercase) {
  std::vector<std::string> out;
  for (const CodePoints& word : basic_words(text, lowercase))
    out.push_back(encode_utf8(word.begin(), word.end()));
  return out;
}

void WordPieceTokenizer::append_word_pieces(const std::string& word, std::vector<int32_t>& ids) const {
  // Byte offsets of the word's code points, so candidate pieces are substrings.
  std::vector<size_t> offsets;
  for (size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xc0) != 0x80) offsets.push_back(i);
  const size_t characters = offsets.size();
  offsets.push_back(word.size());
  if (characters > kMaxWordCharacters) {
    ids.push_back(kUnknownTokenId);
    return;
  }
  const size_t first_piece = ids.size();
  std::string candidate;
  for (size_t start = 0; start < characters;) {
    int32_t found = -1;
    size_t end = characters;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? "##" : "");
      candidate.append(word, offsets[start], offsets[end] - offsets[start]);
      const auto it = id_of_.find(candidate);
      if (it != id_of_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {  // no piece matches here: the whole word is unknown
      ids.resize(first_piece);
      ids.push_back(kUnknownTokenId);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const CodePoints& word : basic_words(text, vocabulary_.lowercase))
    append_word_pieces(encode_utf8(word.begin(), word.end()), ids);
  return ids;
}

std::string WordPieceTokenizer::piece(int32_t id) const {
  DISTILL_CHECK(id >= 0 && id < vocab_size(), "token id ", id, " is outside the vocabulary [0, ",
                vocab_size(), ")");
  return vocabulary_.tokens[static_cast<size_t>(id)];
}

}  // namespace distill::text
