// data.source: text — labelled text files read, tokenized (by the tokenizer helper process) and
// encoded as token-id datasets, with the tokenizer every model trained on them carries.
#pragma once

#include <cstdint>
#include <string>

#include "distill/data/data_source.h"

namespace distill::data {

struct TextSplits {
  Dataset train;
  Dataset validation;  // empty unless options.validation names a file
  Dataset test;
  std::string tokenizer_model;  // serialized tokenizer (SentencePiece or WordPiece)
};

/// Reads the files of `options` (the first train_limit / test_limit examples; 0: all), gets the
/// tokenizer — `fixed_tokenizer` when non-empty, else options.tokenizer_file, else one trained on
/// the training texts (reused from options.tokenizer_cache_dir when it holds one for the same
/// texts and options) — and encodes every split. Classes are the training file's labels, sorted.
/// `test_only` skips encoding the training and validation texts (evaluating a saved model).
TextSplits load_text_splits(const TextDataOptions& options, int64_t train_limit,
                            int64_t test_limit, const std::string& fixed_tokenizer,
                            bool test_only);

/// Throws distill::Error naming the data.text key for a missing file or out-of-range option.
void validate_text_data_options(const TextDataOptions& options);

}  // namespace distill::data
