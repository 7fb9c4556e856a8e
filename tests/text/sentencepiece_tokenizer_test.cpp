// The SentencePiece tokenizer on the Debian corpus: deterministic training, the fixed special
// ids, the round trip, save/load, the ids of SentencePiece's own command-line encoder
// (spm_encode, Debian's `sentencepiece`) — also word by word through a table — and clear errors for foreign or broken models.
#include "distill/text/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <sstream>

#include "distill/core/error.h"
#include "distill/data/text_reader.h"
#include "distill/text/word_cached_tokenizer.h"
#include "error_assertions.h"
#include "sentencepiece_training.h"
#include "test_support.h"

namespace distill::text {
namespace {

using ::distill::testing::thrown_error;
using testing::TempDir;

/// The first 3000 training texts of the corpus, and a tokenizer of 600 pieces trained on them.
struct Fixture {
  std::vector<std::string> texts;
  SentencePieceTokenizer tokenizer;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    data::TextExamples e = data::read_text_examples(
        DISTILL_DATA_DIR "/debian-descriptions/train.tsv.gz", {});
    std::vector<std::string> texts(e.texts.begin(), e.texts.begin() + 3000);
    TokenizerOptions options;
    options.vocab_size = 600;
    return Fixture{texts, SentencePieceTokenizer::train(texts, options)};
  }();
  return f;
}

TEST(SentencePieceTokenizer, TrainingIsDeterministicWithFixedSpecialIds) {
  const Fixture& f = fixture();
  TokenizerOptions options;
  options.vocab_size = 600;
  EXPECT_EQ(SentencePieceTokenizer::train(f.texts, options).serialized(), f.tokenizer.serialized());
  EXPECT_EQ(f.tokenizer.vocab_size(), 600);
  EXPECT_EQ(f.tokenizer.piece(SentencePieceTokenizer::kPadId), "<pad>");
  EXPECT_EQ(f.tokenizer.piece(SentencePieceTokenizer::kUnknownId), "<unk>");
  EXPECT_EQ(f.tokenizer.piece(SentencePieceTokenizer::kClsId), "<cls>");
  EXPECT_EQ(f.tokenizer.piece(SentencePieceTokenizer::kMaskId), "<mask>");
}

TEST(SentencePieceTokenizer, DecodingGivesTheTextBack) {
  const Fixture& f = fixture();
  int64_t ascii = 0;
  for (const std::string& text : f.texts) {
    const bool is_ascii = std::all_of(text.begin(), text.end(),
                                      [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!is_ascii) continue;  // NFKC normalisation may rewrite other characters
    const std::vector<int32_t> ids = f.tokenizer.encode(text);
    for (int32_t id : ids) ASSERT_NE(id, SentencePieceTokenizer::kPadId) << text;
    // Characters outside the coverage (a rare '!') become <unk>, which decodes as " ⁇ ".
    if (std::find(ids.begin(), ids.end(), SentencePieceTokenizer::kUnknownId) != ids.end()) continue;
    ++ascii;
    ASSERT_EQ(f.tokenizer.decode(ids), text);
  }
  EXPECT_GT(ascii, 2500);
  // Padding and control ids are not text.
  std::vector<int32_t> ids = f.tokenizer.encode("a text editor");
  ids.insert(ids.begin(), SentencePieceTokenizer::kClsId);
  ids.push_back(SentencePieceTokenizer::kPadId);
  EXPECT_EQ(f.tokenizer.decode(ids), "a text editor");
}

TEST(SentencePieceTokenizer, APrefixsIdsAreTheWholeTextsFirstIds) {
  const SentencePieceTokenizer& tokenizer = fixture().tokenizer;
  const data::TextExamples e = data::read_text_examples(
      DISTILL_DATA_DIR "/debian-descriptions/validation.tsv.gz", {});
  size_t cut_short = 0;
  for (const std::string& text : e.texts) {
    const std::vector<int32_t> whole = tokenizer.encode(text);
    for (size_t pieces : {1u, 16u, 63u, 127u}) {
      const std::vector<int32_t> prefix = tokenizer.encode_prefix(text, pieces);
      const std::vector<int32_t> expected(whole.begin(), whole.begin() + std::min(pieces, whole.size()));
      ASSERT_EQ(prefix, expected) << pieces << " pieces of: " << text;
      cut_short += whole.size() > pieces ? 1 : 0;
    }
  }
  EXPECT_GT(cut_short, e.texts.size());  // most texts are longer than some of the limits
}

TEST(SentencePieceTokenizer, IdsEqualSentencePiecesOwnEncoder) {
  if (!std::filesystem::exists("/usr/bin/spm_encode")) GTEST_SKIP() << "spm_encode is missing";
  const Fixture& f = fixture();
  TempDir dir;
  f.tokenizer.save(dir / "t.model");
  std::string input;
  for (size_t i = 0; i < 200; ++i) input += f.texts[i] + "\n";
  const auto r = testing::run_command(
      {"/usr/bin/spm_encode", "--model=" + (dir / "t.model").string(), "--output_format=id"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line;
  // The runtime's word-by-word form (word_cached_tokenizer.h) too, its table filling as it goes.
  const WordCachedTokenizer cached(std::make_unique<SentencePieceTokenizer>(f.tokenizer));
  ASSERT_TRUE(cached.caches_words());
  for (size_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(std::getline(lines, line));
    std::istringstream words(line);
    std::vector<int32_t> expected;
    for (int32_t id; words >> id;) expected.push_back(id);
    ASSERT_EQ(f.tokenizer.encode(f.texts[i]), expected) << f.texts[i];
    ASSERT_EQ(cached.encode(f.texts[i]), expected) << f.texts[i];
  }
}

TEST(SentencePieceTokenizer, SavedAndLoadedEncodesTheSame) {
  const Fixture& f = fixture();
  TempDir dir;
  f.tokenizer.save(dir / "t.model");
  const SentencePieceTokenizer loaded = SentencePieceTokenizer::load(dir / "t.model");
  EXPECT_EQ(loaded.serialized(), f.tokenizer.serialized());
  EXPECT_EQ(loaded.encode(f.texts[7]), f.tokenizer.encode(f.texts[7]));
}

TEST(SentencePieceTokenizer, ForeignAndBrokenModelsAreRefused) {
  EXPECT_NE(std::string(thrown_error([] {
                          SentencePieceTokenizer::from_serialized("not a model", "'junk.model'");
                        }).what())
                .find("'junk.model' is not a SentencePiece model"),
            std::string::npos);
  // A model trained with SentencePiece's default ids (<unk> 0, <s> 1, </s> 2).
  std::vector<std::string> texts(fixture().texts.begin(), fixture().texts.begin() + 500);
  std::string error;
  const std::string serialized = testing::train_sentencepiece_with_flags(
      texts, "--vocab_size=200 --minloglevel=2 --hard_vocab_limit=false", &error);
  ASSERT_FALSE(serialized.empty()) << error;
  const Error e = thrown_error([&] { SentencePieceTokenizer::from_serialized(serialized, "'spm.model'"); });
  EXPECT_NE(std::string(e.what()).find("'spm.model': distill needs padding at id 0"), std::string::npos)
      << e.what();
  EXPECT_NE(e.hint().find("--pad_id=0"), std::string::npos);
  TokenizerOptions bad;
  bad.vocab_size = 3;
  EXPECT_STREQ(thrown_error([&] { validate_tokenizer_options(bad, "data.tokenizer"); }).what(),
               "data.tokenizer.vocab_size = 3: expected a value in [16, 1000000]");
}

}  // namespace
}  // namespace distill::text
