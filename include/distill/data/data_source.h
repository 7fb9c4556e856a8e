// Where the data comes from (Fashion-MNIST, IDX files, CSV), and its preparation for training:
// subsetting, the validation split and normalisation.
#pragma once

#include <cstdint>
#include <string>

#include "distill/data/augmentation.h"
#include "distill/data/csv_reader.h"
#include "distill/data/dataset.h"

namespace distill::data {

enum class DataSourceKind { kFashionMnist, kIdx, kCsv };

struct DataOptions {
  DataSourceKind source = DataSourceKind::kFashionMnist;
  /// fashion-mnist: the directory holding the four .gz files.
  std::string dir = "/usr/share/datasets/fashion-mnist";
  /// idx: the four files, and the class count.
  std::string train_images, train_labels, test_images, test_labels;
  int64_t num_classes = 10;
  /// csv: the two files and how to read them.
  std::string train_csv, test_csv;
  CsvOptions csv;

  /// Use only the first N training / test samples (0: all).
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  /// Samples held out of the training set for early stopping and model selection.
  int64_t validation_size = 5000;
  bool normalize = true;
  AugmentationOptions augmentation;
};

/// The three splits, normalised with statistics of the training split.
struct PreparedData {
  Dataset train;
  Dataset validation;  // may be empty (validation_size 0)
  Dataset test;
  Normalization normalization;
  /// The normalised value of a zero input per channel: the fill for shifted-in pixels.
  std::vector<float> background;
};

/// Loads and prepares the splits. The normalisation is fitted on the training split, unless
/// `fixed_normalization` is given (a loaded teacher's, so teacher and student see the same inputs).
PreparedData prepare_data(const DataOptions& options, uint64_t seed,
                          const Normalization* fixed_normalization = nullptr);

/// Loads the test split of `options` only, unnormalised (for evaluating a saved model).
Dataset load_test_split(const DataOptions& options);

const char* to_string(DataSourceKind kind);

}  // namespace distill::data
