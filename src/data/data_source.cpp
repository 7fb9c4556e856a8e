// Dispatch over the data sources, then the shared preparation steps.
#include "distill/data/data_source.h"

#include <filesystem>

#include "distill/core/error.h"
#include "distill/data/idx_dataset.h"
#include "distill/data/text_source.h"

namespace distill::data {
namespace {

Dataset load_split(const DataOptions& options, bool train) {
  switch (options.source) {
    case DataSourceKind::kFashionMnist:
      return load_fashion_mnist(options.dir, train);
    case DataSourceKind::kIdx:
      return train ? load_idx_dataset(options.train_images, options.train_labels, options.num_classes)
                   : load_idx_dataset(options.test_images, options.test_labels, options.num_classes);
    case DataSourceKind::kCsv: {
      CsvOptions csv = options.csv;
      if (csv.num_classes == 0) csv.num_classes = options.num_classes;
      return read_csv_dataset(train ? options.train_csv : options.test_csv, csv);
    }
    case DataSourceKind::kText:
      break;  // tokenized with all splits together: prepare_text_data
  }
  DISTILL_FAIL("unknown data source ", static_cast<int>(options.source));
}

/// Text: tokenized splits; the validation split is the validation file when there is one, else
/// held out of the training file. Token ids are not normalised.
PreparedData prepare_text_data(const DataOptions& options, uint64_t seed,
                               const std::string& fixed_tokenizer) {
  TextSplits splits = load_text_splits(options.text, options.train_limit, options.test_limit,
                                       fixed_tokenizer, /*test_only=*/false);
  PreparedData prepared;
  if (splits.validation.size() > 0) {
    prepared.train = std::move(splits.train);
    prepared.validation = std::move(splits.validation);
  } else {
    DISTILL_CHECK_HINT(options.validation_size < splits.train.size(),
                       "lower data.validation_size or give data.text.validation",
                       "data.validation_size = ", options.validation_size,
                       " leaves no training texts out of ", splits.train.size());
    TrainValidationSplit split = split_train_validation(splits.train, options.validation_size, seed);
    prepared.train = std::move(split.train);
    prepared.validation = std::move(split.validation);
  }
  prepared.test = std::move(splits.test);
  prepared.tokenizer_model = std::move(splits.tokenizer_model);
  prepared.tokenizer_is_users_file = fixed_tokenizer.empty() && !options.text.tokenizer_file.empty();
  return prepared;
}

}  // namespace

const char* to_string(DataSourceKind kind) {
  switch (kind) {
    case DataSourceKind::kFashionMnist: return "fashion-mnist";
    case DataSourceKind::kIdx: return "idx";
    case DataSourceKind::kCsv: return "csv";
    case DataSourceKind::kText: return "text";
  }
  return "unknown";
}

Dataset load_test_split(const DataOptions& options, const std::string& tokenizer_model) {
  if (options.source == DataSourceKind::kText)
    return load_text_splits(options.text, options.train_limit, options.test_limit, tokenizer_model,
                            /*test_only=*/true)
        .test;
  return load_split(options, /*train=*/false).head(options.test_limit);
}

void check_text_row_length(const DataOptions& options, const std::vector<int64_t>& model_input_shape,
                           const std::string& model_file) {
  if (options.source != DataSourceKind::kText || model_input_shape.size() != 1) return;
  const int64_t max_tokens = options.text.encoding.max_tokens;
  DISTILL_CHECK_HINT(model_input_shape[0] == max_tokens,
                     "set data.text.max_tokens=" + std::to_string(model_input_shape[0]), "'",
                     model_file, "' reads ", model_input_shape[0],
                     " tokens per text but the config's data.text.max_tokens is ", max_tokens);
}

PreparedData prepare_data(const DataOptions& options, uint64_t seed,
                          const Normalization* fixed_normalization,
                          const std::string& fixed_tokenizer) {
  if (options.source == DataSourceKind::kText)
    return prepare_text_data(options, seed, fixed_tokenizer);
  const Dataset full_train = load_split(options, /*train=*/true).head(options.train_limit);
  Dataset test = load_test_split(options);
  DISTILL_CHECK(full_train.sample_shape() == test.sample_shape(),
                "training and test samples differ in shape: ", full_train.features.sizes(),
                " vs ", test.features.sizes());
  DISTILL_CHECK(full_train.num_classes == test.num_classes, "training set has ",
                full_train.num_classes, " classes but the test set has ", test.num_classes);
  DISTILL_CHECK_HINT(options.validation_size < full_train.size(),
                     "lower data.validation_size or raise data.train_limit",
                     "data.validation_size = ", options.validation_size,
                     " leaves no training samples out of ", full_train.size());

  if (fixed_normalization != nullptr && !fixed_normalization->empty()) {
    const int64_t channels = full_train.sample_shape().at(0);
    DISTILL_CHECK_HINT(static_cast<int64_t>(fixed_normalization->mean.size()) == channels,
                       "distill from a teacher trained on the same kind of data",
                       "the teacher was trained on other data: its input normalisation has ",
                       fixed_normalization->mean.size(), " channels/features but the data's ",
                       "samples have shape ", full_train.features.sizes().slice(1));
  }

  PreparedData prepared;
  TrainValidationSplit split = split_train_validation(full_train, options.validation_size, seed);
  prepared.train = std::move(split.train);
  prepared.validation = std::move(split.validation);
  prepared.test = std::move(test);
  if (fixed_normalization != nullptr || options.normalize) {
    prepared.normalization = fixed_normalization != nullptr
                                 ? *fixed_normalization
                                 : Normalization::fit(prepared.train.features);
    prepared.train.features = prepared.normalization.apply(prepared.train.features);
    if (prepared.validation.size() > 0)
      prepared.validation.features = prepared.normalization.apply(prepared.validation.features);
    prepared.test.features = prepared.normalization.apply(prepared.test.features);
    for (size_t c = 0; c < prepared.normalization.mean.size(); ++c)
      prepared.background.push_back(-prepared.normalization.mean[c] /
                                    prepared.normalization.stddev[c]);
  }
  return prepared;
}

}  // namespace distill::data
