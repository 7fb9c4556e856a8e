// WordPiece vocabularies (BERT's `vocab.txt`: one token per line, a line's index its id in the
// user's model) read and checked, and carried inside distill's model files. Torch-free and
// dependency-free, so both the libtorch side (the TorchScript teacher's id map) and the tokenizer
// (wordpiece_tokenizer.h) read them.
//
// distill's own ids keep its convention (tokenizer_options.h): [PAD] is 0, [UNK] 1, [CLS] 2,
// [MASK] 3, and the file's other lines follow in file order. `file_ids` maps them back to the
// ids the user's model was trained on, so a TorchScript teacher reads its own ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace distill::text {

struct WordPieceVocabulary {
  /// The tokens in distill's id order ("[PAD]", "[UNK]", "[CLS]", "[MASK]", then file order).
  std::vector<std::string> tokens;
  /// file_ids[distill id] = the token's line index in the file (its id in the user's model).
  std::vector<int64_t> file_ids;
  /// The line index of [SEP], which BERT-like models read after a text's last token.
  int64_t separator_file_id = -1;
  /// Whether texts are lower-cased and stripped of accents before splitting (BERT's uncased
  /// models); a cased vocabulary reads texts as they are.
  bool lowercase = true;
};

/// Whether `path` names a WordPiece vocabulary (a `.txt` file) rather than a SentencePiece model.
bool is_wordpiece_vocabulary_path(const std::filesystem::path& path);

/// Parses a `vocab.txt` file's bytes; `source` names it in errors. Refuses, naming the line:
/// invalid UTF-8, an empty line, a token holding whitespace, a token listed twice, a missing
/// [PAD], [UNK], [CLS], [SEP] or [MASK], an empty file.
WordPieceVocabulary parse_wordpiece_vocabulary(const std::string& file_bytes,
                                               const std::string& source, bool lowercase);

/// The form model files and the tokenizer helper carry (`tokenizer_model` bytes): a header line
/// naming the format and the lowercase flag, then the file's bytes as they were.
std::string serialize_wordpiece_vocabulary(const std::string& file_bytes, bool lowercase);
/// Whether `tokenizer_model` bytes are a serialized WordPiece vocabulary (else SentencePiece).
bool is_serialized_wordpiece_vocabulary(const std::string& tokenizer_model);
/// Reads serialize_wordpiece_vocabulary's form back; `source` names it in errors.
WordPieceVocabulary deserialize_wordpiece_vocabulary(const std::string& tokenizer_model,
                                                     const std::string& source);

/// The tokenizer model a run uses for the user's `data.text.tokenizer.file`: a `.txt` WordPiece
/// vocabulary is checked and serialized (lowercase as given); any other file is read as it is
/// (a SentencePiece model, checked by the tokenizer).
std::string read_tokenizer_file(const std::filesystem::path& path, bool lowercase);

}  // namespace distill::text
