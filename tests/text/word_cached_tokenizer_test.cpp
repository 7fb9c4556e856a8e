// The word-cached tokenizer gives the wrapped tokenizer's ids: over the corpus's validation texts
// (unigram and BPE, cold and warm table, a table too small to hold a text's words), over texts
// with odd spacing and characters, and by falling back to the wrapped tokenizer for SentencePiece
// models whose pieces span spaces or that keep a word's spaces. With the example's vocabulary of
// 8,000 pieces over the whole corpus, every text it segments otherwise than SentencePiece does on
// the whole text is a tie: the same text, the same score. (The tokenizers' own tests hold the
// cached form to spm_encode and to BERT's tokenizer.)
#include "distill/text/word_cached_tokenizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "distill/core/error.h"
#include "distill/data/text_reader.h"
#include "distill/text/sentencepiece_tokenizer.h"
#include "error_assertions.h"
#include "sentencepiece_training.h"

namespace distill::text {
namespace {

const std::vector<std::string>& training_texts() {
  static const std::vector<std::string> texts = [] {
    const data::TextExamples e =
        data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/train.tsv.gz", {});
    return std::vector<std::string>(e.texts.begin(), e.texts.begin() + 2000);
  }();
  return texts;
}

const std::vector<std::string>& validation_texts() {
  static const std::vector<std::string> texts =
      data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/validation.tsv.gz", {}).texts;
  return texts;
}

/// A SentencePiece model with distill's special ids, trained with SentencePiece's own flags
/// `extra` on the first 2000 training texts.
std::unique_ptr<SentencePieceTokenizer> train_with_flags(const std::string& extra) {
  std::string error;
  const std::string serialized = ::distill::testing::train_sentencepiece_with_flags(
      training_texts(),
      "--vocab_size=500 --minloglevel=2 --hard_vocab_limit=false --pad_id=0 --unk_id=1 "
      "--bos_id=-1 --eos_id=-1 --control_symbols=<cls>,<mask> " + extra,
      &error);
  EXPECT_FALSE(serialized.empty()) << error;
  return std::make_unique<SentencePieceTokenizer>(
      SentencePieceTokenizer::from_serialized(serialized, extra));
}

std::unique_ptr<SentencePieceTokenizer> distills_tokenizer(SubwordModel model) {
  TokenizerOptions options;
  options.vocab_size = 600;
  options.model = model;
  return std::make_unique<SentencePieceTokenizer>(
      SentencePieceTokenizer::train(training_texts(), options));
}

/// Texts that reach the splitting rules: runs of spaces, spaces at both ends, tabs and line
/// breaks inside words, non-ASCII letters and spaces, characters outside the vocabulary, an
/// empty text, a text of spaces.
std::vector<std::string> odd_texts() {
  return {"",        "   ",        "a",        "  two  leading and trailing  ",
          "tab\tinside words\tand\nline",    "caf\xc3\xa9 na\xc3\xafve \xc3\x9c" "bersetzung",
          "no\xc2\xa0" "break space", "ideographic\xe3\x80\x80space", "\xe6\xbc\xa2\xe5\xad\x97 text",
          "emoji \xf0\x9f\x98\x80!", "x86_64 (amd64) libfoo-dev: C++17 headers, v2.0.1"};
}

void expect_same_ids(const Tokenizer& plain, const WordCachedTokenizer& cached,
                     const std::vector<std::string>& texts) {
  for (const std::string& text : texts) {
    const std::vector<int32_t> whole = plain.encode(text);
    ASSERT_EQ(cached.encode(text), whole) << text;
    for (size_t pieces : {1u, 16u, 63u}) {
      std::vector<int32_t> prefix(whole.begin(), whole.begin() + std::min(pieces, whole.size()));
      ASSERT_EQ(cached.encode_prefix(text, pieces), prefix) << pieces << " pieces of: " << text;
    }
  }
}

TEST(WordCachedTokenizer, GivesTheWrappedTokenizersIdsOnTheCorpusColdAndWarm) {
  for (const SubwordModel model : {SubwordModel::kUnigram, SubwordModel::kBpe}) {
    const std::unique_ptr<SentencePieceTokenizer> plain = distills_tokenizer(model);
    ASSERT_TRUE(plain->encodes_words_independently());
    const WordCachedTokenizer cached(std::make_unique<SentencePieceTokenizer>(*plain));
    ASSERT_TRUE(cached.caches_words());
    std::vector<std::string> texts = validation_texts();
    for (const std::string& odd : odd_texts()) texts.push_back(odd);
    expect_same_ids(*plain, cached, texts);       // the table fills as it goes
    EXPECT_GT(cached.cached_words(), 10000u);     // real vocabulary, not a handful of words
    expect_same_ids(*plain, cached, texts);       // every word now from the table
    // A table smaller than one text's words starts over mid-text.
    const WordCachedTokenizer tiny(std::make_unique<SentencePieceTokenizer>(*plain), 5);
    expect_same_ids(*plain, tiny, texts);
    EXPECT_LE(tiny.cached_words(), 5u);
  }
}

TEST(WordCachedTokenizer, OnTheWholeCorpusEveryDifferenceIsATieOfEqualScore) {
  std::vector<std::string> texts =
      data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/train.tsv.gz", {}).texts;
  TokenizerOptions options;  // examples/text.yaml's: unigram, 8,000 pieces
  const SentencePieceTokenizer plain = SentencePieceTokenizer::train(texts, options);
  for (const char* split : {"validation", "test"})
    for (std::string& text : data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/" +
                                                          std::string(split) + ".tsv.gz", {})
                                 .texts)
      texts.push_back(std::move(text));
  const WordCachedTokenizer cached(std::make_unique<SentencePieceTokenizer>(plain));
  const auto score = [&](const std::vector<int32_t>& ids) {
    double sum = 0;
    for (int32_t id : ids) sum += plain.piece_score(id);
    return sum;
  };
  size_t differing = 0;
  for (const std::string& text : texts) {
    const std::vector<int32_t> whole = plain.encode(text), by_word = cached.encode(text);
    if (by_word == whole) continue;
    ++differing;
    ASSERT_EQ(plain.decode(by_word), plain.decode(whole)) << text;
    ASSERT_NEAR(score(by_word), score(whole), 1e-6 * std::abs(score(whole))) << text;
  }
  EXPECT_LE(differing, texts.size() / 500) << differing << " of " << texts.size();
  std::printf("%zu of %zu texts segmented otherwise than on the whole text, all ties\n", differing,
              texts.size());
}

TEST(WordCachedTokenizer, RemembersEachWordOnceAndForgetsOnClear) {
  const WordCachedTokenizer cached(distills_tokenizer(SubwordModel::kUnigram));
  EXPECT_EQ(cached.cached_words(), 0u);
  cached.encode("the editor and the  compiler");
  EXPECT_EQ(cached.cached_words(), 4u);  // the, editor, and, compiler
  cached.encode_prefix("a b c d e f", 2);  // stops reading words once two pieces are there
  EXPECT_LE(cached.cached_words(), 6u);
  cached.clear();
  EXPECT_EQ(cached.cached_words(), 0u);
  EXPECT_EQ(cached.vocab_size(), 600);
  EXPECT_EQ(cached.piece(5), cached.inner().piece(5));
  EXPECT_EQ(cached.serialized(), cached.inner().serialized());
}

TEST(WordCachedTokenizer, PassesThroughModelsWhoseWordsDependOnTheirNeighbours) {
  // Pieces may span spaces; a word keeps no dummy "▁" alone; runs of spaces stay pieces.
  for (const std::string flags : {"--split_by_whitespace=false", "--add_dummy_prefix=false",
                                  "--remove_extra_whitespaces=false"}) {
    std::unique_ptr<SentencePieceTokenizer> plain = train_with_flags(flags);
    EXPECT_FALSE(plain->encodes_words_independently()) << flags;
    const WordCachedTokenizer cached(std::make_unique<SentencePieceTokenizer>(*plain));
    EXPECT_FALSE(cached.caches_words()) << flags;
    std::vector<std::string> texts(validation_texts().begin(), validation_texts().begin() + 300);
    for (const std::string& odd : odd_texts()) texts.push_back(odd);
    expect_same_ids(*plain, cached, texts);
    EXPECT_EQ(cached.cached_words(), 0u);
  }
  // The same training with distill's flags does split at spaces.
  EXPECT_TRUE(train_with_flags("")->encodes_words_independently());
  EXPECT_STREQ(::distill::testing::thrown_error([] { WordCachedTokenizer(nullptr); }).what(),
               "a word-cached tokenizer needs a tokenizer to wrap");
}

}  // namespace
}  // namespace distill::text
