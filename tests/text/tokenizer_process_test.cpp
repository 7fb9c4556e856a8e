// The tokenizer helper process (what libtorch processes tokenize with): the vocabulary it trains
// is byte for byte the one trained in process, its ids are the in-process tokenizer's, its list
// files round-trip, and its failures come back as errors with the helper's own message.
#include "distill/text/tokenizer_process.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/data/text_reader.h"
#include "distill/text/sentencepiece_tokenizer.h"
#include "error_assertions.h"
#include "test_support.h"

namespace distill::text {
namespace {

using ::distill::testing::thrown_error;

std::vector<std::string> corpus_texts(size_t count) {
  const data::TextExamples e =
      data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/validation.tsv.gz", {});
  return {e.texts.begin(), e.texts.begin() + static_cast<std::ptrdiff_t>(count)};
}

TEST(TokenizerProcess, TrainsAndEncodesAsTheInProcessTokenizer) {
  const std::vector<std::string> texts = corpus_texts(1500);
  TokenizerOptions options;
  options.vocab_size = 500;
  const std::string model = train_tokenizer_model(texts, options);
  EXPECT_EQ(model, SentencePieceTokenizer::train(texts, options).serialized());
  const SentencePieceTokenizer tokenizer = SentencePieceTokenizer::from_serialized(model, "model");
  EXPECT_EQ(tokenizer_model_vocab_size(model), tokenizer.vocab_size());
  const std::vector<std::string> probe = {texts[0], "unseen wörds — and ünïcode ✓", texts[7]};
  const std::vector<std::vector<int32_t>> ids = encode_with_tokenizer_model(model, probe);
  ASSERT_EQ(ids.size(), probe.size());
  for (size_t i = 0; i < probe.size(); ++i) EXPECT_EQ(ids[i], tokenizer.encode(probe[i]));
}

TEST(TokenizerProcess, ListFilesRoundTripAndTruncationIsNamed) {
  testing::TempDir dir;
  const std::vector<std::string> texts = {"a", "", std::string("tab\there\nnewline\0nul", 20)};
  write_text_list(dir.path() / "t.bin", texts);
  EXPECT_EQ(read_text_list(dir.path() / "t.bin"), texts);
  const std::vector<std::vector<int32_t>> ids = {{4, 5, 6}, {}, {7}};
  write_token_lists(dir.path() / "i.bin", ids);
  EXPECT_EQ(read_token_lists(dir.path() / "i.bin"), ids);
  std::string bytes = read_file_bytes(dir.path() / "i.bin");
  bytes.pop_back();
  write_file_atomically(dir.path() / "cut.bin", bytes);
  EXPECT_NE(std::string(thrown_error([&] { read_token_lists(dir.path() / "cut.bin"); }).what())
                .find("is truncated at byte"),
            std::string::npos);
}

TEST(TokenizerProcess, TheHelpersErrorComesBack) {
  const Error e = thrown_error([] { encode_with_tokenizer_model("not a model", {"text"}); });
  EXPECT_NE(std::string(e.what()).find("the tokenizer helper"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("is not a SentencePiece model"), std::string::npos) << e.what();
  ::setenv("DISTILL_TOKENIZER", "/nonexistent/distill-tokenizer", 1);
  const Error missing = thrown_error([] { tokenizer_helper_path(); });
  ::unsetenv("DISTILL_TOKENIZER");
  EXPECT_STREQ(missing.what(),
               "DISTILL_TOKENIZER = '/nonexistent/distill-tokenizer' is not an executable file");
}

}  // namespace
}  // namespace distill::text
