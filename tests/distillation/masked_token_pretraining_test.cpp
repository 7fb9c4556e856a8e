// Masked-token pretraining: BERT's masking rates, never padding or <cls>; on texts with a
// learnable structure the masked-token loss falls well below chance.
#include "distill/distillation/masked_token_pretraining.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::distillation {
namespace {

using ::distill::testing::thrown_error;

TEST(MaskedTokens, ChosenAtTheRateThenMaskedRandomOrKept) {
  // 2000 rows of <cls>, 30 pieces, 9 padding.
  at::Tensor ids = at::zeros({2000, 40}, at::kLong);
  ids.select(1, 0).fill_(2);
  ids.narrow(1, 1, 30).copy_(at::randint(4, 100, {2000, 30}, at::kLong));
  const MaskedBatch m = mask_tokens(ids, 100, 0.15, 11);
  const at::Tensor chosen = m.targets.ne(-100);
  EXPECT_FALSE(chosen.select(1, 0).any().item<bool>());               // never <cls>
  EXPECT_FALSE(chosen.narrow(1, 31, 9).any().item<bool>());           // never padding
  EXPECT_TRUE(m.targets.index({chosen}).equal(ids.index({chosen})));  // targets: the originals
  const double rate = chosen.narrow(1, 1, 30).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(rate, 0.15, 0.005);  // 60 000 positions: standard error 0.0015
  const double masked = (m.inputs.eq(3) & chosen).sum().item<double>() / chosen.sum().item<double>();
  const double kept = (m.inputs.eq(ids) & chosen).sum().item<double>() / chosen.sum().item<double>();
  EXPECT_NEAR(masked, 0.8, 0.015);
  EXPECT_NEAR(kept, 0.1 + 0.1 / 96, 0.015);  // unchanged, or drawn to be the same piece
  EXPECT_TRUE(m.inputs.masked_select(chosen.logical_not()).equal(ids.masked_select(chosen.logical_not())));
  EXPECT_TRUE(mask_tokens(ids, 100, 0.15, 11).inputs.equal(m.inputs));
}

TEST(MaskedTokens, PretrainingLearnsAPredictableSequence) {
  // Every text counts upwards from a random start: each masked piece follows from its neighbours.
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kTransformer;
  spec.input_shape = {12};
  spec.num_classes = 2;
  spec.vocab_size = 40;
  spec.embedding_dim = 32;
  spec.layers = 1;
  spec.heads = 2;
  spec.feed_forward = 64;
  auto model = std::dynamic_pointer_cast<models::TextTransformer>(models::build_classifier(spec, 1));
  data::Dataset texts;
  const at::Tensor start = at::randint(4, 29, {800, 1}, at::kLong);
  texts.features = at::cat({at::full({800, 1}, 2, at::kLong), start + at::arange(11, at::kLong)}, 1);
  texts.labels = at::zeros({800}, at::kLong);
  texts.num_classes = 2;
  texts.vocab_size = 40;
  MaskedTokenOptions options;
  options.epochs = 8;
  options.batch_size = 32;
  options.mask_probability = 0.2;
  options.optimizer.learning_rate = 0.003;
  const PretrainingSummary summary = pretrain_masked_tokens(*model, texts, options, 3, false, "teacher");
  ASSERT_EQ(summary.epoch_loss.size(), 8u);
  EXPECT_LT(summary.epoch_loss.back(), 0.5 * std::log(36.0)) << summary.epoch_loss.front();
  EXPECT_GT(summary.epoch_accuracy.back(), 0.5);
  options.mask_probability = 1.0;
  EXPECT_STREQ(thrown_error([&] { validate_masked_token_options(options, "teacher.pretrain"); }).what(),
               "teacher.pretrain.mask_probability = 1: expected a value in (0, 1)");
}

}  // namespace
}  // namespace distill::distillation
