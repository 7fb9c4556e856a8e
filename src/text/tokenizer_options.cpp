// Names and validation of the tokenizer options.
#include "distill/text/tokenizer_options.h"

#include "distill/core/error.h"

namespace distill::text {

const char* to_string(SubwordModel model) {
  switch (model) {
    case SubwordModel::kUnigram: return "unigram";
    case SubwordModel::kBpe: return "bpe";
  }
  return "unknown";
}

void validate_tokenizer_options(const TokenizerOptions& options, const std::string& where) {
  DISTILL_CHECK(options.vocab_size >= 16 && options.vocab_size <= 1'000'000, where,
                ".vocab_size = ", options.vocab_size, ": expected a value in [16, 1000000]");
  DISTILL_CHECK(options.character_coverage > 0 && options.character_coverage <= 1, where,
                ".character_coverage = ", options.character_coverage,
                ": expected a value in (0, 1]");
}

}  // namespace distill::text
