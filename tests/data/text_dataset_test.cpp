// Labelled texts into token-id datasets: the ids cut and padded as asked, <cls> first; classes
// come sorted from the training file; a label outside them is refused at file:line.
#include "distill/data/text_dataset.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::data {
namespace {

using ::distill::testing::thrown_error;
TextExamples examples(std::vector<std::string> texts, std::vector<std::string> labels) {
  TextExamples e;
  e.source = "t.tsv";
  e.texts = std::move(texts);
  e.labels = std::move(labels);
  for (size_t i = 0; i < e.texts.size(); ++i) e.lines.push_back(static_cast<int64_t>(i) + 2);
  return e;
}

TEST(TextDataset, IdsAreCutAndPaddedBehindCls) {
  const TextExamples train = examples({"a long text", "short"}, {"devel", "games"});
  const std::vector<std::vector<int32_t>> ids = {{11, 12, 13, 14, 15, 16, 17, 18, 19}, {21, 22}};
  TextEncodingOptions options;
  options.max_tokens = 8;
  const Dataset d = encode_text_examples(train, ids, text_classes(train), 32, options);
  validate_dataset(d, "text");
  EXPECT_EQ(d.features.scalar_type(), at::kLong);
  EXPECT_TRUE(d.features.equal(at::tensor({2, 11, 12, 13, 14, 15, 16, 17,  //
                                           2, 21, 22, 0, 0, 0, 0, 0}, at::kLong).view({2, 8})));
  EXPECT_TRUE(d.labels.equal(at::tensor({0, 1}, at::kLong)));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"devel", "games"}));
  EXPECT_EQ(d.sample_shape(), (std::vector<int64_t>{8}));
  options.cls_first = false;
  const Dataset plain = encode_text_examples(train, ids, text_classes(train), 32, options);
  EXPECT_TRUE(plain.features[1].equal(at::tensor({21, 22, 0, 0, 0, 0, 0, 0}, at::kLong)));
  EXPECT_STREQ(thrown_error([&] { encode_text_examples(train, {{1}}, {"devel", "games"}, 32, options); })
                   .what(),
               "t.tsv: 2 texts but 1 token sequences");
}

TEST(TextDataset, ClassesAreTheTrainingLabelsSorted) {
  EXPECT_EQ(text_classes(examples({"a", "b", "c", "d"}, {"net", "admin", "net", "games"})),
            (std::vector<std::string>{"admin", "games", "net"}));
}

TEST(TextDataset, ALabelOutsideTheClassesIsRefusedAtItsLine) {
  const TextExamples test = examples({"one", "two"}, {"devel", "python"});
  const Error e = thrown_error(
      [&] { encode_text_examples(test, {{5}, {6}}, {"devel", "games"}, 32, TextEncodingOptions{}); });
  EXPECT_STREQ(e.what(), "t.tsv:3: label 'python' is not a class of the training file "
                         "(2 classes: devel, games)");
  EXPECT_NE(e.hint().find("trained on"), std::string::npos);
  TextEncodingOptions bad;
  bad.max_tokens = 1;
  EXPECT_STREQ(thrown_error([&] { validate_text_encoding(bad, "data.text"); }).what(),
               "data.text.max_tokens = 1: expected a value in [2, 65536]");
}

TEST(TextDataset, TokenIdsMustBeRows) {
  Dataset d;
  d.features = at::zeros({3, 4, 1}, at::kLong);
  d.labels = at::zeros({3}, at::kLong);
  d.num_classes = 2;
  EXPECT_STREQ(thrown_error([&] { validate_dataset(d, "text"); }).what(),
               "text: token ids must be (N, L), got [3, 4, 1]");
}

}  // namespace
}  // namespace distill::data
