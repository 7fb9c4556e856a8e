// Labelled texts from TSV, CSV or JSON Lines files (plain or gzip-compressed): the raw input of
// text classification, before tokenization. Torch-free. Every malformed line is an error naming
// the file, the line and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace distill::data {

enum class TextFormat {
  kAuto,   // by the file name: .tsv, .csv, .jsonl / .json (before a .gz)
  kTsv,    // a header line naming the columns, then one example per line, fields split by TAB
  kCsv,    // RFC 4180: comma-separated, fields in double quotes may hold commas, quotes ("")
           // and line breaks; a header line naming the columns
  kJsonl,  // one JSON object per line; text and label are fields of it
};

const char* to_string(TextFormat format);

struct TextFileOptions {
  TextFormat format = TextFormat::kAuto;
  std::string text_field = "text";    // column (TSV, CSV header) or field (JSON Lines)
  std::string label_field = "label";
  /// Longer lines (records) are refused: a sign of a wrong format or a runaway quote.
  int64_t max_line_bytes = 1 << 20;
};

/// Examples in file order. `lines[i]` is the 1-based line where example i starts (for errors
/// found later, such as a label the training file does not have).
struct TextExamples {
  std::vector<std::string> texts;
  std::vector<std::string> labels;
  std::vector<int64_t> lines;
  std::string source;  // the file
  size_t size() const { return texts.size(); }
};

/// Reads a labelled text file. Refused, naming file and line: invalid UTF-8 (with the byte
/// offset), an empty text or label, a line over max_line_bytes, a missing column or field, a
/// wrong number of fields, malformed JSON or CSV quoting, and a file with no example.
TextExamples read_text_examples(const std::filesystem::path& path, const TextFileOptions& options);

/// As read_text_examples, from bytes already in memory; `source` names them in errors.
TextExamples parse_text_examples(const std::string& bytes, const std::string& source,
                                 TextFormat format, const TextFileOptions& options);

/// The offset of the first byte of `text` that is not well-formed UTF-8 (overlong forms,
/// surrogates and code points above U+10FFFF are not), or -1 when it all is.
int64_t first_invalid_utf8(const std::string& text);

}  // namespace distill::data
