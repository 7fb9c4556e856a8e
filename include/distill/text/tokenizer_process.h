// Tokenization for processes that hold libtorch, done by the helper program `distill-tokenizer`.
//
// Debian's libsentencepiece bundles its own protobuf-lite, whose symbols collide with the
// libprotobuf libtorch loads: a process with both crashes while loading (docs/architecture.md).
// So the libtorch side never links SentencePiece. It spawns the helper (posix_spawn, never fork
// after libtorch started threads), hands it texts in a file and reads the token ids back. The
// helper runs the same SentencePieceTokenizer the int8 runtime links, so training, evaluation and
// deployment tokenize identically. Torch-free and SentencePiece-free itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "distill/text/tokenizer_options.h"

namespace distill::text {

/// The helper program: $DISTILL_TOKENIZER when set, else `distill-tokenizer` beside the running
/// executable, in the build tree or where `cmake --install` put it. Throws distill::Error listing
/// the places tried when there is none.
std::filesystem::path tokenizer_helper_path();

/// Trains a vocabulary on `texts` in the helper; returns the serialized SentencePiece model
/// (what SentencePieceTokenizer::from_serialized reads and model files carry).
std::string train_tokenizer_model(const std::vector<std::string>& texts,
                                  const TokenizerOptions& options);

/// Token ids of every text (without <cls>) under the serialized model `model_bytes`.
std::vector<std::vector<int32_t>> encode_with_tokenizer_model(const std::string& model_bytes,
                                                              const std::vector<std::string>& texts);

/// The number of pieces in a serialized model (its vocabulary size), read by the helper.
int64_t tokenizer_model_vocab_size(const std::string& model_bytes);

// The helper's file formats (little-endian, what `distill-tokenizer` reads and writes).

/// Texts: "DTXT", u32 count, then per text u32 byte length and the bytes.
void write_text_list(const std::filesystem::path& path, const std::vector<std::string>& texts);
std::vector<std::string> read_text_list(const std::filesystem::path& path);

/// Token ids: "DIDS", u32 count, then per text u32 length and that many i32 ids.
void write_token_lists(const std::filesystem::path& path,
                       const std::vector<std::vector<int32_t>>& ids);
std::vector<std::vector<int32_t>> read_token_lists(const std::filesystem::path& path);

}  // namespace distill::text
