// CSV parsing with per-field error reporting.
#include "distill/data/csv_reader.h"

#include <ATen/ATen.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

namespace distill::data {
namespace {

std::vector<std::string> split_fields(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, delimiter)) {
    const size_t begin = field.find_first_not_of(" \t\r");
    const size_t end = field.find_last_not_of(" \t\r");
    fields.push_back(begin == std::string::npos ? "" : field.substr(begin, end - begin + 1));
  }
  if (!line.empty() && line.back() == delimiter) fields.emplace_back();
  return fields;
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

Dataset parse_csv_dataset(const std::string& text, const std::string& source_name,
                          const CsvOptions& options) {
  std::istringstream in(text);
  std::string line;
  int64_t line_number = 0;
  int64_t field_count = -1;
  int64_t label_index = -1;

  if (options.has_header) {
    while (std::getline(in, line)) {
      ++line_number;
      if (!is_blank(line)) break;
    }
    DISTILL_CHECK(!is_blank(line), "CSV file '", source_name, "' is empty: expected a header line");
    const auto header = split_fields(line, options.delimiter);
    field_count = static_cast<int64_t>(header.size());
    for (int64_t i = 0; i < field_count; ++i)
      if (header[i] == options.label_column) label_index = i;
    DISTILL_CHECK_HINT(label_index >= 0, "set data.csv.label_column to one of the header's names",
                       "CSV file '", source_name, "': no column named '", options.label_column,
                       "' in the header (", line, ")");
  } else {
    char* end = nullptr;
    errno = 0;
    label_index = std::strtol(options.label_column.c_str(), &end, 10);
    DISTILL_CHECK(errno == 0 && end != options.label_column.c_str() && *end == '\0' &&
                      label_index >= 0,
                  "CSV file '", source_name, "' has no header, so the label column must be a ",
                  "0-based index, got '", options.label_column, "'");
  }

  std::vector<float> features;
  std::vector<int64_t> labels;
  while (std::getline(in, line)) {
    ++line_number;
    if (is_blank(line)) continue;
    const auto fields = split_fields(line, options.delimiter);
    if (field_count < 0) field_count = static_cast<int64_t>(fields.size());
    DISTILL_CHECK(static_cast<int64_t>(fields.size()) == field_count, "CSV file '", source_name,
                  "', line ", line_number, ": ", fields.size(), " fields, expected ", field_count);
    DISTILL_CHECK(label_index < field_count, "CSV file '", source_name, "': label column ",
                  label_index, " is out of range for rows of ", field_count, " fields");
    DISTILL_CHECK(field_count >= 2, "CSV file '", source_name, "', line ", line_number,
                  ": a row needs at least one feature and a label, found ", field_count, " field");
    for (int64_t i = 0; i < field_count; ++i) {
      const std::string& text_value = fields[i];
      char* end = nullptr;
      errno = 0;
      if (i == label_index) {
        const long long label = std::strtoll(text_value.c_str(), &end, 10);
        DISTILL_CHECK(errno == 0 && end != text_value.c_str() && *end == '\0' && label >= 0,
                      "CSV file '", source_name, "', line ", line_number, ", column ", i + 1,
                      ": label '", text_value, "' is not a non-negative integer");
        labels.push_back(label);
      } else {
        const float value = std::strtof(text_value.c_str(), &end);
        DISTILL_CHECK(errno == 0 && end != text_value.c_str() && *end == '\0' &&
                          std::isfinite(value),
                      "CSV file '", source_name, "', line ", line_number, ", column ", i + 1,
                      ": '", text_value, "' is not a finite number");
        features.push_back(value);
      }
    }
  }
  DISTILL_CHECK(!labels.empty(), "CSV file '", source_name, "' holds no data rows");

  const int64_t rows = static_cast<int64_t>(labels.size());
  const int64_t max_label = *std::max_element(labels.begin(), labels.end());
  Dataset dataset;
  dataset.num_classes = options.num_classes > 0 ? options.num_classes : max_label + 1;
  DISTILL_CHECK(max_label < dataset.num_classes, "CSV file '", source_name, "' holds label ",
                max_label, " but num_classes is ", dataset.num_classes, " (labels 0 to ",
                dataset.num_classes - 1, ")");
  dataset.features = at::tensor(features).view({rows, field_count - 1}).clone();
  dataset.labels = at::tensor(labels).to(at::kLong);
  validate_dataset(dataset, "CSV file '" + source_name + "'");
  return dataset;
}

Dataset read_csv_dataset(const std::filesystem::path& path, const CsvOptions& options) {
  return parse_csv_dataset(read_file_bytes(path), path.string(), options);
}

}  // namespace distill::data
