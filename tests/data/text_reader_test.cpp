// Labelled text files: the three formats, gzip, and every malformed input refused at file:line
// with the exact message; the Debian corpus as the manifest counts it.
#include "distill/data/text_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "error_assertions.h"
#include "test_support.h"

namespace distill::data {
namespace {

using ::distill::testing::thrown_error;
using testing::TempDir;

TextExamples parse(const std::string& bytes, TextFormat format, TextFileOptions options = {}) {
  return parse_text_examples(bytes, "f", format, options);
}

std::string message(const std::string& bytes, TextFormat format, TextFileOptions options = {}) {
  return thrown_error([&] { parse(bytes, format, options); }).what();
}

TEST(TextReader, TsvColumnsAreFoundByTheirHeader) {
  const TextExamples e = parse("id\ttext\tlabel\n1\tfast compiler\tdevel\n\n2\tchess game\tgames\n",
                               TextFormat::kTsv);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.texts, (std::vector<std::string>{"fast compiler", "chess game"}));
  EXPECT_EQ(e.labels, (std::vector<std::string>{"devel", "games"}));
  EXPECT_EQ(e.lines, (std::vector<int64_t>{2, 4}));  // the blank line 3 is skipped
}

TEST(TextReader, CsvQuotesHoldCommasQuotesAndLineBreaks) {
  const TextExamples e = parse(
      "label,text\r\nnet,\"a, b\"\r\ndoc,\"say \"\"hi\"\"\nthen go\"\r\nx,plain\r\n", TextFormat::kCsv);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e.texts[0], "a, b");
  EXPECT_EQ(e.texts[1], "say \"hi\"\nthen go");
  EXPECT_EQ(e.texts[2], "plain");
  EXPECT_EQ(e.lines, (std::vector<int64_t>{2, 3, 5}));  // the quoted line break counts
}

TEST(TextReader, JsonLinesTakeNamedFieldsAndIntegerLabels) {
  TextFileOptions options;
  options.text_field = "body";
  options.label_field = "y";
  const TextExamples e = parse("{\"body\": \"caf\\u00e9 tools\", \"y\": 3}\n{\"y\": \"a\", \"body\": \"b\"}\n",
                               TextFormat::kJsonl, options);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.texts[0], "caf\xc3\xa9 tools");
  EXPECT_EQ(e.labels, (std::vector<std::string>{"3", "a"}));
}

TEST(TextReader, MalformedInputIsRefusedAtItsLine) {
  EXPECT_EQ(message("label\ttext\ndevel\tok\ngames\t\n", TextFormat::kTsv),
            "f:3: the text ('text') is empty");
  EXPECT_EQ(message("label\ttext\n\tsome text\n", TextFormat::kTsv),
            "f:2: the label ('label') is empty");
  EXPECT_EQ(message("label\ttext\ndevel\ta\tb\n", TextFormat::kTsv),
            "f:2: 3 fields, but the header names 2 (label, text)");
  EXPECT_EQ(message("label\tbody\n", TextFormat::kTsv),
            "f:1: the header has no column 'text' (its columns: label, body)");
  EXPECT_EQ(message("label\ttext\nx\tcaf\xe9\n", TextFormat::kTsv),
            "f:2: invalid UTF-8 at byte 6 of the line (0xe9)");
  EXPECT_EQ(message("label\ttext\n", TextFormat::kTsv), "f: no example (tsv)");
  EXPECT_EQ(message("", TextFormat::kTsv), "f: the file is empty");
  EXPECT_EQ(message("label,text\nx,\"open\n", TextFormat::kCsv),
            "f:2: a quoted field is not closed before the end of the file");
  EXPECT_EQ(message("label,text\nx,\"a\"b\n", TextFormat::kCsv),
            "f:2: text after the closing quote of a field");
  EXPECT_EQ(message("{\"text\": \"a\"}\n", TextFormat::kJsonl), "f:1: the object has no field 'label'");
  EXPECT_EQ(message("{\"text\": 1, \"label\": \"a\"}\n", TextFormat::kJsonl),
            "f:1: the field 'text' is number; expected a string");
  EXPECT_EQ(message("[1]\n", TextFormat::kJsonl), "f:1: expected a JSON object, found array");
  EXPECT_NE(message("{nope\n", TextFormat::kJsonl).find("f:1: not JSON ("), std::string::npos);

  TextFileOptions tight;
  tight.max_line_bytes = 10;
  const Error e = thrown_error([&] { parse("label\ttext\nx\tthis line is too long\n", TextFormat::kTsv, tight); });
  EXPECT_STREQ(e.what(), "f:2: the line is 23 bytes long; the limit is 10");
  EXPECT_NE(e.hint().find("max_line_bytes"), std::string::npos);
}

TEST(TextReader, Utf8ValidationFollowsTheStandard) {
  EXPECT_EQ(first_invalid_utf8("plain ascii"), -1);
  EXPECT_EQ(first_invalid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), -1);  // é € 😀
  EXPECT_EQ(first_invalid_utf8("ab\xc0\xaf"), 2);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xed\xa0\x80"), 0);        // a UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0);    // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("x\xe2\x82"), 1);           // truncated
  EXPECT_EQ(first_invalid_utf8("\x80"), 0);                // a lone continuation byte
}

TEST(TextReader, FilesAreReadByTheirNameAndMayBeGzipped) {
  TempDir dir;
  const std::string tsv = "label\ttext\ndevel\tcompiler\n";
  gzFile out = gzopen((dir / "a.tsv.gz").c_str(), "wb");
  gzwrite(out, tsv.data(), static_cast<unsigned>(tsv.size()));
  gzclose(out);
  EXPECT_EQ(read_text_examples(dir / "a.tsv.gz", {}).texts, (std::vector<std::string>{"compiler"}));
  testing::write_bytes(dir / "b.jsonl", "{\"text\": \"t\", \"label\": \"l\"}\n");
  EXPECT_EQ(read_text_examples(dir / "b.jsonl", {}).labels, (std::vector<std::string>{"l"}));
  testing::write_bytes(dir / "c.txt", tsv);
  const Error e = thrown_error([&] { read_text_examples(dir / "c.txt", {}); });
  EXPECT_NE(std::string(e.what()).find("cannot tell the format from the file name"), std::string::npos);
  EXPECT_NE(std::string(thrown_error([&] { read_text_examples(dir / "none.tsv", {}); }).what())
                .find("cannot read text file '"),
            std::string::npos);
}

TEST(TextReader, TheDebianCorpusHasTheRowsItsManifestCounts) {
  const std::filesystem::path corpus = DISTILL_DATA_DIR "/debian-descriptions";
  std::ifstream in(corpus / "manifest.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json manifest = nlohmann::json::parse(in);
  for (const char* split : {"train", "validation", "test"}) {
    const TextExamples e = read_text_examples(corpus / (std::string(split) + ".tsv.gz"), {});
    const auto& figures = manifest["files"][std::string(split) + ".tsv.gz"];
    EXPECT_EQ(static_cast<int64_t>(e.size()), figures["rows"].get<int64_t>()) << split;
    std::map<std::string, int64_t> per_section;
    for (const auto& label : e.labels) ++per_section[label];
    EXPECT_EQ(nlohmann::json(per_section), figures["per_section"]) << split;
  }
}

}  // namespace
}  // namespace distill::data
