// WordPiece: vocabulary files read into distill's ids (and refused, by line, when malformed),
// the serialized form model files carry, and tokenization equal to BERT's tokenizer as
// Hugging Face writes it — a Python reference over the standard library's unicodedata
// (bert_tokenizer_reference.py) — on the Debian corpus and on texts chosen to reach every rule.
#include "distill/text/wordpiece_tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/data/text_reader.h"
#include "distill/text/sentencepiece_tokenizer.h"
#include "distill/text/tokenizer.h"
#include "distill/text/word_cached_tokenizer.h"
#include "error_assertions.h"
#include "test_support.h"

namespace distill::text {
namespace {

using ::distill::testing::thrown_error;
using testing::TempDir;

const std::string kReference = DISTILL_SOURCE_DIR "/tests/text/bert_tokenizer_reference.py";

// Specials away from distill's ids 0-3, as in BERT's vocabularies.
const std::string kSmallVocabulary =
    "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nplay\n##ing\n##s\n,\n";

TEST(WordPieceVocabulary, SpecialsTakeDistillsIdsAndTheRestFollowInFileOrder) {
  const WordPieceVocabulary v = parse_wordpiece_vocabulary(kSmallVocabulary, "'v.txt'", true);
  EXPECT_EQ(v.tokens, (std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[MASK]", "[unused0]",
                                                "[SEP]", "the", "play", "##ing", "##s", ","}));
  EXPECT_EQ(v.file_ids, (std::vector<int64_t>{0, 2, 3, 5, 1, 4, 6, 7, 8, 9, 10}));
  EXPECT_EQ(v.separator_file_id, 4);
  // Windows line ends and a missing final newline read the same.
  std::string crlf = kSmallVocabulary;
  for (size_t i = crlf.find('\n'); i != std::string::npos; i = crlf.find('\n', i + 2)) crlf.insert(i, "\r");
  crlf.pop_back();
  crlf.pop_back();
  EXPECT_EQ(parse_wordpiece_vocabulary(crlf, "'v.txt'", true).tokens, v.tokens);
}

TEST(WordPieceVocabulary, MalformedFilesAreRefusedNamingTheLine) {
  const auto error = [](const std::string& bytes) {
    return std::string(thrown_error([&] { parse_wordpiece_vocabulary(bytes, "'v.txt'", true); }).what());
  };
  EXPECT_EQ(error(""), "WordPiece vocabulary 'v.txt' is empty");
  EXPECT_EQ(error("[PAD]\n[UNK]\n\n[CLS]\n"),
            "'v.txt':3: an empty line; a WordPiece vocabulary has one token on every line");
  EXPECT_EQ(error("[PAD]\nthe\n[UNK]\nthe\n"),
            "'v.txt':4: token 'the' is listed twice (first on line 2)");
  EXPECT_EQ(error("[PAD]\nca\xff" "fe\n"), "'v.txt':2: byte 3 of the token is not valid UTF-8");
  EXPECT_EQ(error("[PAD]\n\xc0\xaf\n"), "'v.txt':2: byte 1 of the token is not valid UTF-8");  // overlong
  EXPECT_EQ(error("[PAD]\nnew york\n"),
            "'v.txt':2: token 'new york' holds whitespace, which no WordPiece token can");
  EXPECT_EQ(error("[PAD]\n[UNK]\n[CLS]\n[MASK]\nthe\n"),
            "WordPiece vocabulary 'v.txt' has no [SEP] line (5 tokens read)");
  const Error e = thrown_error([] { parse_wordpiece_vocabulary("[PAD]\n", "'v.txt'", true); });
  EXPECT_NE(e.hint().find("vocab.txt"), std::string::npos) << e.hint();
}

TEST(WordPieceVocabulary, SerializedFormKeepsTheFileAndTheLowercaseFlag) {
  for (bool lowercase : {true, false}) {
    const std::string bytes = serialize_wordpiece_vocabulary(kSmallVocabulary, lowercase);
    ASSERT_TRUE(is_serialized_wordpiece_vocabulary(bytes));
    const WordPieceVocabulary v = deserialize_wordpiece_vocabulary(bytes, "model");
    EXPECT_EQ(v.lowercase, lowercase);
    EXPECT_EQ(v.tokens.size(), 11u);
    const auto tokenizer = load_tokenizer(bytes, "model");
    ASSERT_NE(dynamic_cast<const WordPieceTokenizer*>(tokenizer.get()), nullptr);
    EXPECT_EQ(tokenizer->serialized(), bytes);
  }
  EXPECT_FALSE(is_serialized_wordpiece_vocabulary(kSmallVocabulary));
  // A file read for a run: .txt is WordPiece, checked on the way in; anything else as it is.
  TempDir dir;
  testing::write_bytes(dir / "vocab.txt", kSmallVocabulary);
  testing::write_bytes(dir / "broken.txt", "[PAD]\n[PAD]\n");
  testing::write_bytes(dir / "other.model", "bytes");
  EXPECT_EQ(read_tokenizer_file(dir / "vocab.txt", false),
            serialize_wordpiece_vocabulary(kSmallVocabulary, false));
  EXPECT_EQ(read_tokenizer_file(dir / "other.model", true), "bytes");
  EXPECT_NE(std::string(thrown_error([&] { read_tokenizer_file(dir / "broken.txt", true); }).what())
                .find("broken.txt':2: token '[PAD]' is listed twice"),
            std::string::npos);
  // Neither form: SentencePiece's error, naming the source.
  EXPECT_NE(std::string(thrown_error([] { load_tokenizer("bytes", "'x.model'"); }).what())
                .find("'x.model' is not a SentencePiece model"),
            std::string::npos);
}

TEST(WordPieceTokenizer, GreedyLongestMatchWithContinuationsAndUnknownWords) {
  const WordPieceTokenizer t = WordPieceTokenizer::from_serialized(
      serialize_wordpiece_vocabulary(kSmallVocabulary, true), "v");
  // distill ids: the 6, play 7, ##ing 8, ##s 9, ",' 10; [UNK] 1.
  EXPECT_EQ(t.encode("The PLAYINGS, the play"), (std::vector<int32_t>{6, 7, 8, 9, 10, 6, 7}));
  EXPECT_EQ(t.encode("plays theatre"), (std::vector<int32_t>{7, 9, kUnknownTokenId}));
  EXPECT_EQ(t.encode(std::string(101, 's')), (std::vector<int32_t>{kUnknownTokenId}));
  EXPECT_EQ(t.piece(8), "##ing");
  EXPECT_EQ(t.encode(""), std::vector<int32_t>{});
}

/// Texts reaching every rule: accents and case, Greek final sigma, CJK, punctuation (ASCII and
/// Unicode), control characters, Unicode spaces and separators, long words, unknown characters,
/// compatibility characters NFD keeps, combining marks alone, invalid UTF-8.
std::vector<std::string> hard_texts() {
  return {"Café naïve RÉSUMÉ façade Ångström", "ΟΔΟΣ ΣΟΦΟΣ. Σ ΑΣ ΌΣ' σας 1Σ",
          "中文字符 and 日本語かな 한국어", "don't-stop!! (really?) $5^2 #hash @at [x]",
          "tab\there\nnewline\rcarriage\x01control\x7f\xc2\x85", "non\xc2\xa0" "breaking\xe2\x80\x83space",
          "line\xe2\x80\xa8sep para\xe2\x80\xa9sep", "«quotes» „low“ — dash … ellipsis ¿qué?",
          std::string(120, 'x') + " short", "emoji 🙂 and ﬁ ligature and Ⅻ", "a\xcc\x81 e\xcc\x88",
          "zero\xe2\x80\x8bwidth soft\xc2\xad" "hyphen", "bad \xff\xfe bytes \xe2\x82", "İstanbul DİŞ",
          "   ", "", "हिन्दी भाषा", "UPPER lower MiXeD CamelCase", "x86_64 libfoo-dev (>= 1.2.3~rc1)"};
}

void expect_equal_to_reference(bool lowercase) {
  data::TextExamples e =
      data::read_text_examples(DISTILL_DATA_DIR "/debian-descriptions/train.tsv.gz", {});
  std::vector<std::string> texts(e.texts.begin(), e.texts.begin() + 2000);
  for (const std::string& hard : hard_texts()) texts.push_back(hard);
  // The reference reads valid UTF-8 only: a text with broken bytes goes to it as what Python's
  // decoder makes of it, U+FFFD in their place, which BERT's cleaning drops like distill does.
  nlohmann::json decoded = nlohmann::json::array();
  for (const std::string& text : texts)
    decoded.push_back(nlohmann::json::parse(nlohmann::json(text).dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace)));
  // Every character seen is in the vocabulary (alone and as a continuation), so a rule applied
  // differently shows as different pieces, not as [UNK] on both sides.
  TempDir dir;
  const std::string vocab = (dir / "vocab.txt").string();
  const auto built = testing::run_command({"/usr/bin/python3", kReference, "--build-vocab", vocab,
                                           lowercase ? "1" : "0", "400"},
                                          decoded.dump());
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const auto r = testing::run_command({"/usr/bin/python3", kReference, vocab, lowercase ? "1" : "0"},
                                      decoded.dump());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = nlohmann::json::parse(r.output);
  const WordPieceTokenizer t = WordPieceTokenizer::load(vocab, lowercase);
  // The runtime's word-by-word form (word_cached_tokenizer.h) against the same reference.
  const WordCachedTokenizer cached(std::make_unique<WordPieceTokenizer>(t));
  ASSERT_TRUE(cached.caches_words());
  ASSERT_EQ(expected.size(), texts.size());
  size_t pieces = 0, unknown = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int64_t> file_ids;
    for (int32_t id : t.encode(texts[i])) {
      file_ids.push_back(t.vocabulary().file_ids[static_cast<size_t>(id)]);
      unknown += id == kUnknownTokenId;
    }
    pieces += file_ids.size();
    ASSERT_EQ(file_ids, expected[i].get<std::vector<int64_t>>()) << "text " << i << ": " << texts[i];
    ASSERT_EQ(cached.encode(texts[i]), t.encode(texts[i])) << "text " << i << ": " << texts[i];
    // The prefix encoding the runtime uses agrees with the whole text's.
    for (size_t limit : {3, 17}) {
      std::vector<int32_t> whole = t.encode(texts[i]);
      whole.resize(std::min(whole.size(), limit));
      ASSERT_EQ(t.encode_prefix(texts[i], limit), whole) << texts[i];
    }
  }
  EXPECT_GT(pieces, 50000u);  // the comparison covers real text, not empty lists
  EXPECT_GT(unknown, 0u);
}

TEST(WordPieceTokenizer, UncasedIdsEqualBertsTokenizerInPython) { expect_equal_to_reference(true); }
TEST(WordPieceTokenizer, CasedIdsEqualBertsTokenizerInPython) { expect_equal_to_reference(false); }

TEST(WordPieceTokenizer, BasicTokensSplitPunctuationAndStripAccents) {
  EXPECT_EQ(WordPieceTokenizer::basic_tokens("Héllo, WORLD!中文", true),
            (std::vector<std::string>{"hello", ",", "world", "!", "中", "文"}));
  EXPECT_EQ(WordPieceTokenizer::basic_tokens("Héllo, WORLD!", false),
            (std::vector<std::string>{"Héllo", ",", "WORLD", "!"}));
}

}  // namespace
}  // namespace distill::text
