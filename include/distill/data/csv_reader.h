// Reader for tabular datasets in CSV: numeric feature columns plus one integer label column.
#pragma once

#include <filesystem>
#include <string>

#include "distill/data/dataset.h"

namespace distill::data {

struct CsvOptions {
  /// The label column: its header name, or its 0-based index when the file has no header.
  std::string label_column = "label";
  bool has_header = true;
  char delimiter = ',';
  /// Number of classes; 0 infers it as the largest label + 1.
  int64_t num_classes = 0;
};

/// Reads a CSV file into a Dataset with features (N, F). Every row must have the header's
/// number of fields, every feature must parse as a finite number and every label as an integer
/// in [0, num_classes). Errors name the file, the line, the column and the text found.
Dataset read_csv_dataset(const std::filesystem::path& path, const CsvOptions& options);

/// Parses CSV text already in memory; `source_name` is used in error messages.
Dataset parse_csv_dataset(const std::string& text, const std::string& source_name,
                          const CsvOptions& options);

}  // namespace distill::data
