// Where the data comes from (Fashion-MNIST, IDX files, CSV, labelled text), and its preparation
// for training: subsetting, the validation split, normalisation (float data) or tokenization
// (text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/augmentation.h"
#include "distill/data/csv_reader.h"
#include "distill/data/dataset.h"
#include "distill/data/text_dataset.h"
#include "distill/data/text_reader.h"
#include "distill/text/tokenizer_options.h"

namespace distill::data {

enum class DataSourceKind { kFashionMnist, kIdx, kCsv, kText };

/// Labelled texts (data.source: text): the files, how to read them, the tokenizer and how texts
/// become fixed-length token-id rows.
struct TextDataOptions {
  std::string train, test;
  /// A validation file (split by the user, e.g. by source package); empty: validation_size
  /// examples are held out of the training file.
  std::string validation;
  TextFileOptions file;
  TextEncodingOptions encoding;
  text::TokenizerOptions tokenizer;
  /// A tokenizer to use instead of training one on the training file: a SentencePiece .model,
  /// or a WordPiece vocabulary (BERT's vocab.txt, a `.txt` file).
  std::string tokenizer_file;
  /// WordPiece only: lower-case texts and strip their accents first (an uncased vocabulary).
  bool tokenizer_lowercase = true;
  /// Where trained vocabularies are kept, keyed by the training texts and tokenizer options
  /// (empty: trained on every run).
  std::string tokenizer_cache_dir;
};

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
  /// text: the files, tokenizer and encoding.
  TextDataOptions text;

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
  /// Text: the serialized tokenizer the token ids come from (SentencePiece or WordPiece; saved
  /// with every model).
  std::string tokenizer_model;
  /// Text: whether that model is the user's own (data.text.tokenizer.file), not one trained
  /// here or a loaded teacher's — what a TorchScript text teacher must have been trained with.
  bool tokenizer_is_users_file = false;
};

/// Loads and prepares the splits. The normalisation is fitted on the training split, unless
/// `fixed_normalization` is given (a loaded teacher's, so teacher and student see the same
/// inputs). Text is tokenized with `fixed_tokenizer` (a loaded teacher's serialized model) when
/// it is non-empty, else with data.text's tokenizer (trained on the training split).
PreparedData prepare_data(const DataOptions& options, uint64_t seed,
                          const Normalization* fixed_normalization = nullptr,
                          const std::string& fixed_tokenizer = {});

/// Loads the test split of `options` only, unnormalised (for evaluating a saved model). Text
/// needs the model's tokenizer (`tokenizer_model`, its serialized tokenizer).
Dataset load_test_split(const DataOptions& options, const std::string& tokenizer_model = {});

/// For text: refuses, naming `model_file`, a model whose rows (`model_input_shape`, {L}) are not
/// the `data.text.max_tokens` the config cuts texts to — its figures would not be its run's.
/// Nothing for other data.
void check_text_row_length(const DataOptions& options, const std::vector<int64_t>& model_input_shape,
                           const std::string& model_file);

const char* to_string(DataSourceKind kind);

}  // namespace distill::data
