// Tokenizing labelled texts into a token-id Dataset.
#include "distill/data/text_dataset.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>
#include <set>

#include "distill/core/error.h"

namespace distill::data {

void validate_text_encoding(const TextEncodingOptions& options, const std::string& where) {
  DISTILL_CHECK(options.max_tokens >= (options.cls_first ? 2 : 1) && options.max_tokens <= 65536,
                where, ".max_tokens = ", options.max_tokens, ": expected a value in [",
                options.cls_first ? 2 : 1, ", 65536]");
}

std::vector<std::string> text_classes(const TextExamples& train) {
  const std::set<std::string> labels(train.labels.begin(), train.labels.end());
  return {labels.begin(), labels.end()};
}

Dataset encode_text_examples(const TextExamples& examples,
                             const std::vector<std::vector<int32_t>>& token_ids,
                             const std::vector<std::string>& classes, int64_t vocab_size,
                             const TextEncodingOptions& options) {
  validate_text_encoding(options, "text");
  DISTILL_CHECK(token_ids.size() == examples.size(), examples.source, ": ", examples.size(),
                " texts but ", token_ids.size(), " token sequences");
  DISTILL_CHECK(classes.size() >= 2, "text classification needs at least 2 classes, got ",
                classes.size());
  std::map<std::string, int64_t> class_of;
  for (size_t i = 0; i < classes.size(); ++i) class_of[classes[i]] = static_cast<int64_t>(i);

  const int64_t n = static_cast<int64_t>(examples.size()), length = options.max_tokens;
  at::Tensor ids = at::full({n, length}, text::kPadTokenId, at::kLong);
  at::Tensor labels = at::empty({n}, at::kLong);
  int64_t* id = ids.data_ptr<int64_t>();
  int64_t* label = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto found = class_of.find(examples.labels[static_cast<size_t>(i)]);
    if (found == class_of.end()) {
      std::string listed;
      for (size_t c = 0; c < classes.size() && c < 10; ++c)
        listed += (c ? ", " : "") + classes[c];
      if (classes.size() > 10) listed += ", ...";
      DISTILL_FAIL_HINT("a model predicts only the classes it was trained on; check the label "
                        "column, or add examples of this class to the training file",
                        examples.source, ":", examples.lines[static_cast<size_t>(i)], ": label '",
                        examples.labels[static_cast<size_t>(i)],
                        "' is not a class of the training file (", classes.size(), " classes: ",
                        listed, ")");
    }
    label[i] = found->second;
    int64_t* row = id + i * length;
    int64_t position = 0;
    if (options.cls_first) row[position++] = text::kClsTokenId;
    for (int32_t token : token_ids[static_cast<size_t>(i)]) {
      if (position == length) break;
      DISTILL_CHECK(token >= 0 && token < vocab_size, examples.source, ":",
                    examples.lines[static_cast<size_t>(i)], ": token id ", token,
                    " is outside the tokenizer's vocabulary [0, ", vocab_size, ")");
      row[position++] = token;
    }
  }
  Dataset out;
  out.features = ids;
  out.labels = labels;
  out.num_classes = static_cast<int64_t>(classes.size());
  out.class_names = classes;
  out.vocab_size = vocab_size;
  return out;
}

}  // namespace distill::data
