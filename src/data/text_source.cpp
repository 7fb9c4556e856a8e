// Reading, tokenizing and encoding the text splits.
#include "distill/data/text_source.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/core/run_recipe.h"
#include "distill/text/tokenizer_process.h"
#include "distill/text/wordpiece_vocabulary.h"

namespace distill::data {
namespace fs = std::filesystem;
namespace {

TextExamples read_split(const std::string& path, const TextFileOptions& file, int64_t limit) {
  TextExamples examples = read_text_examples(path, file);
  if (limit > 0 && static_cast<size_t>(limit) < examples.size()) {
    examples.texts.resize(static_cast<size_t>(limit));
    examples.labels.resize(static_cast<size_t>(limit));
    examples.lines.resize(static_cast<size_t>(limit));
  }
  return examples;
}

/// The cache key of a vocabulary: the training texts and every tokenizer option.
std::string tokenizer_key(const TextExamples& train, const text::TokenizerOptions& options) {
  std::string all = std::string(text::to_string(options.model)) + '\n' +
                    std::to_string(options.vocab_size) + '\n' +
                    std::to_string(options.character_coverage) + '\n';
  for (const std::string& t : train.texts) (all += t) += '\0';
  return content_hash(all.data(), all.size());
}

std::string trained_tokenizer(const TextDataOptions& options, const TextExamples& train) {
  fs::path cached;
  if (!options.tokenizer_cache_dir.empty()) {
    cached = fs::path(options.tokenizer_cache_dir) /
             ("tokenizer-" + tokenizer_key(train, options.tokenizer) + ".model");
    if (fs::exists(cached)) return read_file_bytes(cached);
  }
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "training a %s tokenizer (%lld pieces) on %zu texts...\n",
               text::to_string(options.tokenizer.model),
               static_cast<long long>(options.tokenizer.vocab_size), train.size());
  std::string model = text::train_tokenizer_model(train.texts, options.tokenizer);
  std::fprintf(stderr, "tokenizer trained in %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!cached.empty()) {
    fs::create_directories(cached.parent_path());
    write_file_atomically(cached, model);
  }
  return model;
}

}  // namespace

void validate_text_data_options(const TextDataOptions& options) {
  DISTILL_CHECK(!options.train.empty(), "data.text.train is required when data.source is text");
  DISTILL_CHECK(!options.test.empty(), "data.text.test is required when data.source is text");
  validate_text_encoding(options.encoding, "data.text");
  text::validate_tokenizer_options(options.tokenizer, "data.text.tokenizer");
}

TextSplits load_text_splits(const TextDataOptions& options, int64_t train_limit,
                            int64_t test_limit, const std::string& fixed_tokenizer,
                            bool test_only) {
  validate_text_data_options(options);
  const TextExamples train = read_split(options.train, options.file, train_limit);
  const TextExamples test = read_split(options.test, options.file, test_limit);
  TextExamples validation;
  if (!options.validation.empty() && !test_only)
    validation = read_split(options.validation, options.file, 0);

  TextSplits splits;
  if (!fixed_tokenizer.empty()) {
    splits.tokenizer_model = fixed_tokenizer;
  } else if (!options.tokenizer_file.empty()) {
    DISTILL_CHECK(fs::exists(options.tokenizer_file), "data.text.tokenizer.file '",
                  options.tokenizer_file, "': no such file");
    splits.tokenizer_model =
        text::read_tokenizer_file(options.tokenizer_file, options.tokenizer_lowercase);
  } else {
    DISTILL_CHECK_HINT(!test_only, "evaluate a model saved with its tokenizer",
                       "evaluating on text needs the model's tokenizer");
    splits.tokenizer_model = trained_tokenizer(options, train);
  }
  const int64_t vocab_size = text::tokenizer_model_vocab_size(splits.tokenizer_model);

  // One helper call for every split's texts.
  std::vector<std::string> texts;
  const std::vector<const TextExamples*> parts =
      test_only ? std::vector<const TextExamples*>{&test}
                : std::vector<const TextExamples*>{&train, &validation, &test};
  for (const TextExamples* part : parts) texts.insert(texts.end(), part->texts.begin(), part->texts.end());
  const std::vector<std::vector<int32_t>> ids =
      text::encode_with_tokenizer_model(splits.tokenizer_model, texts);

  const std::vector<std::string> classes = text_classes(train);
  size_t offset = 0;
  const auto encode = [&](const TextExamples& part) {
    const std::vector<std::vector<int32_t>> part_ids(ids.begin() + static_cast<std::ptrdiff_t>(offset),
                                                     ids.begin() + static_cast<std::ptrdiff_t>(offset + part.size()));
    offset += part.size();
    return encode_text_examples(part, part_ids, classes, vocab_size, options.encoding);
  };
  if (!test_only) {
    splits.train = encode(train);
    if (validation.size() > 0) splits.validation = encode(validation);
  }
  splits.test = encode(test);
  return splits;
}

}  // namespace distill::data
