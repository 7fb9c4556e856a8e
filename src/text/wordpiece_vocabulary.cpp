// WordPiece vocabulary files: parsing with line-level errors, and distill's serialized form.
#include "distill/text/wordpiece_vocabulary.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/data/text_reader.h"
#include "distill/text/tokenizer_options.h"

namespace distill::text {
namespace {

constexpr std::string_view kSerializedHeader = "distill-wordpiece-vocabulary 1 lowercase=";
constexpr const char* kVocabularyHint =
    "give the vocab.txt your model was trained with: one token per line, its line index the "
    "token's id, with [PAD], [UNK], [CLS], [SEP] and [MASK] among them";

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

}  // namespace

bool is_wordpiece_vocabulary_path(const std::filesystem::path& path) {
  return path.extension() == ".txt";
}

WordPieceVocabulary parse_wordpiece_vocabulary(const std::string& file_bytes,
                                               const std::string& source, bool lowercase) {
  // The file's lines: each ends with '\n' (the last may not); a "\r\n" ending counts as '\n'.
  std::vector<std::string> lines;
  for (size_t start = 0; start < file_bytes.size();) {
    size_t end = file_bytes.find('\n', start);
    if (end == std::string::npos) end = file_bytes.size();
    std::string_view line(file_bytes.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  DISTILL_CHECK_HINT(!lines.empty(), kVocabularyHint, "WordPiece vocabulary ", source,
                     " is empty");

  std::unordered_map<std::string, size_t> line_of;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& token = lines[i];
    const size_t number = i + 1;
    DISTILL_CHECK_HINT(!token.empty(), kVocabularyHint, source, ":", number,
                       ": an empty line; a WordPiece vocabulary has one token on every line");
    const int64_t bad = data::first_invalid_utf8(token);
    DISTILL_CHECK_HINT(bad < 0, kVocabularyHint, source, ":", number,
                       ": byte ", bad + 1, " of the token is not valid UTF-8");
    for (char c : token)
      DISTILL_CHECK_HINT(!is_ascii_space(c), kVocabularyHint, source, ":", number, ": token '",
                         token, "' holds whitespace, which no WordPiece token can");
    const auto [it, inserted] = line_of.emplace(token, i);
    DISTILL_CHECK_HINT(inserted, kVocabularyHint, source, ":", number, ": token '", token,
                       "' is listed twice (first on line ", it->second + 1, ")");
  }

  WordPieceVocabulary vocabulary;
  vocabulary.lowercase = lowercase;
  // distill's special ids first (in the order of their ids), then every other line in order.
  constexpr std::array<const char*, 4> kSpecials = {"[PAD]", "[UNK]", "[CLS]", "[MASK]"};
  static_assert(kPadTokenId == 0 && kUnknownTokenId == 1 && kClsTokenId == 2 &&
                kMaskTokenId == 3 && kFirstPieceId == 4);
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    DISTILL_CHECK_HINT(line_of.count(special) != 0, kVocabularyHint, "WordPiece vocabulary ",
                       source, " has no ", special, " line (", lines.size(), " tokens read)");
  std::vector<bool> taken(lines.size(), false);
  for (const char* special : kSpecials) {
    const size_t line = line_of.at(special);
    vocabulary.tokens.push_back(special);
    vocabulary.file_ids.push_back(static_cast<int64_t>(line));
    taken[line] = true;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (taken[i]) continue;
    vocabulary.tokens.push_back(lines[i]);
    vocabulary.file_ids.push_back(static_cast<int64_t>(i));
  }
  vocabulary.separator_file_id = static_cast<int64_t>(line_of.at("[SEP]"));
  return vocabulary;
}

std::string serialize_wordpiece_vocabulary(const std::string& file_bytes, bool lowercase) {
  std::string out(kSerializedHeader);
  out += lowercase ? "1\n" : "0\n";
  out += file_bytes;
  return out;
}

bool is_serialized_wordpiece_vocabulary(const std::string& tokenizer_model) {
  return std::string_view(tokenizer_model).substr(0, kSerializedHeader.size()) == kSerializedHeader;
}

WordPieceVocabulary deserialize_wordpiece_vocabulary(const std::string& tokenizer_model,
                                                     const std::string& source) {
  DISTILL_CHECK(is_serialized_wordpiece_vocabulary(tokenizer_model), source,
                " is not a WordPiece vocabulary in distill's form");
  const size_t flag = kSerializedHeader.size();
  DISTILL_CHECK(tokenizer_model.size() > flag + 1 && tokenizer_model[flag + 1] == '\n' &&
                    (tokenizer_model[flag] == '0' || tokenizer_model[flag] == '1'),
                source, ": the WordPiece vocabulary's header ends in neither lowercase=0 nor "
                "lowercase=1");
  return parse_wordpiece_vocabulary(tokenizer_model.substr(flag + 2), source,
                                    tokenizer_model[flag] == '1');
}

std::string read_tokenizer_file(const std::filesystem::path& path, bool lowercase) {
  const std::string source = "'" + path.string() + "'";
  DISTILL_CHECK(std::filesystem::exists(path), "tokenizer ", source, ": no such file");
  std::string bytes = read_file_bytes(path);
  if (!is_wordpiece_vocabulary_path(path)) return bytes;
  parse_wordpiece_vocabulary(bytes, source, lowercase);  // refuses a malformed file here
  return serialize_wordpiece_vocabulary(bytes, lowercase);
}

}  // namespace distill::text
