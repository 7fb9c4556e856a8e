// predict_logits: long token rows run in passes of at most kInferenceTokensPerPass positions,
// with the same logits as one forward pass over every row and one progress step per batch.
#include "distill/models/predict.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "distill/core/progress_bar.h"
#include "distill/models/classifier.h"
#include "distill/models/model_spec.h"
#include "error_assertions.h"
#include "tensor_assertions.h"

namespace distill::models {
namespace {

using ::distill::testing::thrown_error;

TEST(InferenceRowsPerPass, BoundsTokenRowsByPositionsAndLeavesOtherInputsAlone) {
  EXPECT_EQ(inference_rows_per_pass(at::zeros({1000, 128}, at::kLong), 500), 64);
  EXPECT_EQ(inference_rows_per_pass(at::zeros({1000, 64}, at::kLong), 500), 128);
  EXPECT_EQ(inference_rows_per_pass(at::zeros({1000, 64}, at::kLong), 32), 32);
  EXPECT_EQ(inference_rows_per_pass(at::zeros({3, 20000}, at::kLong), 500), 1);
  // Images and feature vectors: the batch as asked.
  EXPECT_EQ(inference_rows_per_pass(at::zeros({1000, 784}), 500), 500);
  EXPECT_EQ(inference_rows_per_pass(at::zeros({10, 1, 28, 28}), 500), 500);
  EXPECT_STREQ(thrown_error([] { inference_rows_per_pass(at::zeros({4, 8}, at::kLong), 0); }).what(),
               "inference batch size must be > 0, got 0");
}

TEST(PredictLogits, TokenRowsInPassesGiveTheLogitsOfOnePassAndOneProgressStepPerBatch) {
  constexpr int64_t kLength = 1024;  // 8 rows per pass
  ModelSpec spec;
  spec.kind = ModelKind::kTransformer;
  spec.input_shape = {kLength};
  spec.num_classes = 3;
  spec.vocab_size = 40;
  spec.embedding_dim = 8;
  spec.heads = 2;
  spec.feed_forward = 16;
  spec.layers = 1;
  const ClassifierPtr model = build_classifier(spec, 5);
  at::manual_seed(2);
  at::Tensor ids = at::randint(4, 40, {20, kLength}, at::kLong);
  ids.select(1, 0).fill_(2);                   // <cls>
  ids.slice(1, 700).slice(0, 0, 10).fill_(0);  // half the texts padded after 700 tokens
  ASSERT_EQ(inference_rows_per_pass(ids, 16), 8);

  model->eval();
  const at::Tensor whole = model->forward(ids).detach();
  model->train();
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  at::Tensor logits;
  {
    ProgressBar bar("predict", 2, true, log, std::chrono::milliseconds(0));
    logits = predict_logits(*model, ids, 16, &bar);  // batches of 16 and 4: passes 8, 8, 4
  }
  EXPECT_TRUE(model->is_training());
  EXPECT_TENSOR_CLOSE(logits, whole, 1e-5, 1e-5);
  // One line per batch but the last (finish() would report that one).
  std::rewind(log);
  char line[256];
  int lines = 0;
  while (std::fgets(line, sizeof line, log) != nullptr) {
    ++lines;
    EXPECT_NE(std::string(line).find("predict:  50% (1/2)"), std::string::npos) << line;
  }
  std::fclose(log);
  EXPECT_EQ(lines, 1);
}

}  // namespace
}  // namespace distill::models
