// Labelled text files: TSV, CSV (RFC 4180) and JSON Lines, with errors at file:line.
#include "distill/data/text_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "distill/core/gzip_file.h"

namespace distill::data {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TextFormat format_of(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  if (ends_with(name, ".tsv") || ends_with(name, ".tab")) return TextFormat::kTsv;
  if (ends_with(name, ".csv")) return TextFormat::kCsv;
  if (ends_with(name, ".jsonl") || ends_with(name, ".json") || ends_with(name, ".ndjson"))
    return TextFormat::kJsonl;
  DISTILL_FAIL_HINT("name the format: data.text_format: tsv, csv or jsonl", "'", path.string(),
                    "': cannot tell the format from the file name (expected .tsv, .csv or "
                    ".jsonl, optionally .gz)");
}

/// One record's fields and the line it starts on.
struct Record {
  std::vector<std::string> fields;
  int64_t line = 0;
};

/// Splits `bytes` into records: lines, except that a CSV field in double quotes may span lines.
/// Checks every record's length and UTF-8 as it goes.
class RecordReader {
 public:
  RecordReader(const std::string& bytes, const std::string& source, TextFormat format,
               int64_t max_bytes)
      : bytes_(bytes), source_(source), format_(format), max_bytes_(max_bytes) {}

  /// The next non-blank record; false at the end.
  bool next(Record& record) {
    while (position_ < bytes_.size()) {
      record = Record{{}, line_};
      const size_t start = position_;
      if (format_ == TextFormat::kCsv)
        read_csv_record(record);
      else
        read_line(record);
      size_t length = position_ - start;
      if (length > 0 && bytes_[start + length - 1] == '\n') --length;  // the line, not its end
      DISTILL_CHECK_HINT(static_cast<int64_t>(length) <= max_bytes_,
                         "check the file's format (a CSV quote left open spans every line after "
                         "it), or raise max_line_bytes",
                         source_, ":", record.line, ": the line is ", length,
                         " bytes long; the limit is ", max_bytes_);
      const int64_t bad = first_invalid_utf8(bytes_.substr(start, length));
      DISTILL_CHECK_HINT(bad < 0, "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                         source_, ":", record.line, ": invalid UTF-8 at byte ", bad + 1,
                         " of the line (0x", hex_byte(bytes_[start + static_cast<size_t>(bad)]),
                         ")");
      const bool blank = record.fields.size() == 1 &&
                         record.fields[0].find_first_not_of(" \t\r") == std::string::npos;
      if (!blank) return true;
    }
    return false;
  }

 private:
  static std::string hex_byte(char c) {
    const char* digits = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(c);
    return {digits[b >> 4], digits[b & 15]};
  }

  void read_line(Record& record) {
    size_t end = bytes_.find('\n', position_);
    if (end == std::string::npos) end = bytes_.size();
    std::string line = bytes_.substr(position_, end - position_);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    position_ = end + 1;
    ++line_;
    if (format_ == TextFormat::kJsonl) {
      record.fields = {line};
      return;
    }
    size_t from = 0;
    while (true) {
      const size_t tab = line.find('\t', from);
      record.fields.push_back(line.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
      if (tab == std::string::npos) break;
      from = tab + 1;
    }
  }

  void read_csv_record(Record& record) {
    std::string field;
    bool quoted = false, was_quoted = false;
    while (position_ < bytes_.size()) {
      const char c = bytes_[position_++];
      if (quoted) {
        if (c == '"') {
          if (position_ < bytes_.size() && bytes_[position_] == '"') {
            field += '"';
            ++position_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          field += c;
        }
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        record.fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n') {
        ++line_;
        if (!field.empty() && field.back() == '\r' && !was_quoted) field.pop_back();
        record.fields.push_back(std::move(field));
        return;
      } else if (c == '\r' && was_quoted) {
        // the CR of a CRLF after a closing quote
      } else {
        DISTILL_CHECK_HINT(!was_quoted, "quote a field whole: \"a \"\"b\"\" c\"", source_, ":",
                           record.line, ": text after the closing quote of a field");
        field += c;
      }
    }
    DISTILL_CHECK_HINT(!quoted, "close the quote, or double quotes inside a field (\"\")", source_,
                       ":", record.line, ": a quoted field is not closed before the end of the file");
    ++line_;
    record.fields.push_back(std::move(field));
  }

  const std::string& bytes_;
  const std::string& source_;
  TextFormat format_;
  int64_t max_bytes_;
  size_t position_ = 0;
  int64_t line_ = 1;
};

void add_example(TextExamples& out, std::string text, std::string label, int64_t line,
                 const TextFileOptions& options) {
  const auto blank = [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  DISTILL_CHECK_HINT(!blank(text), "remove the line, or give it a text", out.source, ":", line,
                     ": the text ('", options.text_field, "') is empty");
  DISTILL_CHECK_HINT(!blank(label), "every example needs a label", out.source, ":", line,
                     ": the label ('", options.label_field, "') is empty");
  out.texts.push_back(std::move(text));
  out.labels.push_back(std::move(label));
  out.lines.push_back(line);
}

void parse_columns(RecordReader& reader, TextExamples& out, const TextFileOptions& options) {
  Record header;
  DISTILL_CHECK_HINT(reader.next(header), "the first line names the columns, e.g. label<TAB>text",
                     out.source, ": the file is empty");
  std::string names;
  for (const auto& name : header.fields) names += (names.empty() ? "" : ", ") + name;
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.fields.begin(), header.fields.end(), name);
    DISTILL_CHECK_HINT(it != header.fields.end(),
                       "choose the columns with the text and label field options",
                       out.source, ":", header.line, ": the header has no column '", name,
                       "' (its columns: ", names, ")");
    return static_cast<size_t>(it - header.fields.begin());
  };
  const size_t text_column = column(options.text_field), label_column = column(options.label_field);
  for (Record record; reader.next(record);) {
    DISTILL_CHECK_HINT(record.fields.size() == header.fields.size(),
                       "a TSV field may not contain a TAB; quote CSV fields that hold commas",
                       out.source, ":", record.line, ": ", record.fields.size(),
                       " fields, but the header names ", header.fields.size(), " (", names, ")");
    add_example(out, std::move(record.fields[text_column]), std::move(record.fields[label_column]),
                record.line, options);
  }
}

void parse_json_lines(RecordReader& reader, TextExamples& out, const TextFileOptions& options) {
  for (Record record; reader.next(record);) {
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(record.fields[0]);
    } catch (const nlohmann::json::exception& e) {
      DISTILL_FAIL_HINT("each line holds one JSON object: {\"text\": \"...\", \"label\": \"...\"}",
                        out.source, ":", record.line, ": not JSON (", e.what(), ")");
    }
    DISTILL_CHECK(object.is_object(), out.source, ":", record.line,
                  ": expected a JSON object, found ", object.type_name());
    const auto field = [&](const std::string& name, bool text) {
      DISTILL_CHECK_HINT(object.contains(name),
                         "choose the fields with the text and label field options", out.source,
                         ":", record.line, ": the object has no field '", name, "'");
      const nlohmann::json& value = object.at(name);
      if (value.is_string()) return value.get<std::string>();
      DISTILL_CHECK(!text && value.is_number_integer(), out.source, ":", record.line,
                    ": the field '", name, "' is ", value.type_name(), "; expected a string",
                    text ? "" : " or an integer");
      return value.dump();
    };
    add_example(out, field(options.text_field, true), field(options.label_field, false),
                record.line, options);
  }
}

}  // namespace

const char* to_string(TextFormat format) {
  switch (format) {
    case TextFormat::kAuto: return "auto";
    case TextFormat::kTsv: return "tsv";
    case TextFormat::kCsv: return "csv";
    case TextFormat::kJsonl: return "jsonl";
  }
  return "unknown";
}

int64_t first_invalid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t length = 0;
    uint32_t code = 0, minimum = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, code = c & 0x1F, minimum = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, code = c & 0x0F, minimum = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, code = c & 0x07, minimum = 0x10000;
    } else {
      return static_cast<int64_t>(i);
    }
    if (i + length > n) return static_cast<int64_t>(i);
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return static_cast<int64_t>(i);
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return static_cast<int64_t>(i);
    i += length;
  }
  return -1;
}

TextExamples parse_text_examples(const std::string& bytes, const std::string& source,
                                 TextFormat format, const TextFileOptions& options) {
  DISTILL_CHECK(format != TextFormat::kAuto, source, ": the format must be known to parse");
  DISTILL_CHECK(options.max_line_bytes > 0, "max_line_bytes = ", options.max_line_bytes,
                ": expected > 0");
  TextExamples out;
  out.source = source;
  RecordReader reader(bytes, source, format, options.max_line_bytes);
  if (format == TextFormat::kJsonl)
    parse_json_lines(reader, out, options);
  else
    parse_columns(reader, out, options);
  DISTILL_CHECK_HINT(out.size() > 0, "a data file needs at least one labelled text", source,
                     ": no example (", to_string(format), ")");
  return out;
}

TextExamples read_text_examples(const std::filesystem::path& path, const TextFileOptions& options) {
  const TextFormat format = options.format == TextFormat::kAuto ? format_of(path) : options.format;
  return parse_text_examples(
      read_maybe_gzipped(path, "text file", "check the path (relative paths start at the working directory)"),
      path.string(), format, options);
}

}  // namespace distill::data
