// distill-tokenizer: SentencePiece training, and encoding with SentencePiece or WordPiece, for the
// processes that hold libtorch, which cannot load SentencePiece themselves
// (include/distill/text/tokenizer_process.h). Reads and writes the list files that header
// defines; errors go to standard error, exit status 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/text/sentencepiece_tokenizer.h"
#include "distill/text/tokenizer.h"
#include "distill/text/tokenizer_process.h"
#include "distill/text/word_cached_tokenizer.h"

namespace {

using distill::text::SentencePieceTokenizer;

/// A serialized tokenizer (SentencePiece .model, or WordPiece in distill's form) from a file.
std::unique_ptr<distill::text::Tokenizer> load(const std::string& path) {
  return distill::text::load_tokenizer(distill::read_file_bytes(path), "'" + path + "'");
}

void train(const std::string& texts_path, const distill::text::TokenizerOptions& options,
           const std::string& out) {
  const std::vector<std::string> texts = distill::text::read_text_list(texts_path);
  SentencePieceTokenizer::train(texts, options).save(out);
}

void encode(const std::string& model, const std::string& texts_path, const std::string& out) {
  // Word by word through a table when the tokenizer allows it: the same ids, and a corpus repeats
  // its words.
  const distill::text::WordCachedTokenizer tokenizer(load(model));
  const std::vector<std::string> texts = distill::text::read_text_list(texts_path);
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (const std::string& text : texts) ids.push_back(tokenizer.encode(text));
  distill::text::write_token_lists(out, ids);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distill-tokenizer: SentencePiece and WordPiece for distill's libtorch processes"};
  app.require_subcommand(1);
  std::string texts, model, out, model_type = "unigram";
  distill::text::TokenizerOptions options;

  CLI::App* train_command = app.add_subcommand("train", "train a vocabulary on a text list");
  train_command->add_option("--texts", texts, "text list (DTXT)")->required();
  train_command->add_option("--vocab-size", options.vocab_size)->required();
  train_command->add_option("--model-type", model_type)->check(CLI::IsMember({"unigram", "bpe"}));
  train_command->add_option("--character-coverage", options.character_coverage);
  train_command->add_option("--out", out, "the .model file to write")->required();

  CLI::App* encode_command = app.add_subcommand("encode", "token ids of a text list");
  encode_command->add_option("--model", model)->required();
  encode_command->add_option("--texts", texts, "text list (DTXT)")->required();
  encode_command->add_option("--out", out, "token lists to write (DIDS)")->required();

  CLI::App* describe_command = app.add_subcommand("describe", "a model's vocabulary size");
  describe_command->add_option("--model", model)->required();
  describe_command->add_option("--out", out)->required();

  try {
    app.parse(argc, argv);
    if (*train_command) {
      options.model = model_type == "bpe" ? distill::text::SubwordModel::kBpe
                                          : distill::text::SubwordModel::kUnigram;
      train(texts, options, out);
    } else if (*encode_command) {
      encode(model, texts, out);
    } else {
      distill::write_file_atomically(
          out, std::to_string(load(model)->vocab_size()));
    }
    return 0;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const distill::Error& e) {
    std::fprintf(stderr, "%s%s%s\n", e.what(), e.hint().empty() ? "" : " (hint: ",
                 e.hint().empty() ? "" : (e.hint() + ")").c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
