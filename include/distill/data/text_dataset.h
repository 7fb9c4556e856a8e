// Labelled texts as a Dataset of token ids: every text's ids cut or padded to a fixed length
// (optionally with <cls> first), every label mapped to its class by the training file's label
// set. What the text models train on.
//
// The ids come in already tokenized: Debian's libsentencepiece carries its own copy of
// protobuf-lite, whose symbols collide with the libprotobuf that libtorch loads, and a process
// holding both crashes while loading (in protobuf's ReflectionOps::FindInitializationErrors).
// Tokenization therefore runs in torch-free code (distill_text: the runtime, a helper process).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distill/data/dataset.h"
#include "distill/data/text_reader.h"
#include "distill/text/tokenizer_options.h"

namespace distill::data {

struct TextEncodingOptions {
  /// Tokens per text, <cls> included: longer texts are cut, shorter ones padded with id 0.
  int64_t max_tokens = 128;
  /// Put <cls> first (for [CLS] pooling); without it every position holds the text.
  bool cls_first = true;
};

/// Throws distill::Error naming the field for an out-of-range option.
void validate_text_encoding(const TextEncodingOptions& options, const std::string& where);

/// The classes of a training file: its distinct labels, sorted (so the class of a label does not
/// depend on the order of the file's lines).
std::vector<std::string> text_classes(const TextExamples& train);

/// A Dataset whose features are token ids (N, max_tokens) int64, 0 for padding, and whose labels
/// are indices into `classes`; `token_ids[i]` are the tokenizer's ids of examples.texts[i], each
/// below `vocab_size` (the tokenizer's vocabulary size, kept in the Dataset). A
/// label that is not one of `classes` is an error naming the file, the line, the label and the
/// classes.
Dataset encode_text_examples(const TextExamples& examples,
                             const std::vector<std::vector<int32_t>>& token_ids,
                             const std::vector<std::string>& classes, int64_t vocab_size,
                             const TextEncodingOptions& options);

}  // namespace distill::data
