// The training loop: it learns, selects the best epoch, stops early, resumes bit-identically
// from a checkpoint, and stops on divergence keeping the last good checkpoint.
#include "distill/distillation/trainer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>

#include "distill/core/error.h"
#include "distill/models/predict.h"
#include "error_assertions.h"
#include "test_support.h"

namespace distill::distillation {
namespace {

using testing::TempDir;
using ::distill::testing::thrown_error;

// Two Gaussian blobs per class in 8 dimensions: learnable, but not in one step.
data::Dataset make_blobs(int64_t n, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  data::Dataset d;
  d.labels = at::randint(0, 3, {n}, generator, at::kLong);
  const at::Tensor centers = at::tensor({2.0f, 0.0f, -2.0f}).view({3, 1}) * at::ones({1, 8});
  d.features = centers.index_select(0, d.labels) + at::randn({n, 8}, generator);
  d.num_classes = 3;
  return d;
}

models::ClassifierPtr make_model() {
  models::ModelSpec spec;
  spec.input_shape = {8};
  spec.num_classes = 3;
  spec.hidden = {16};
  spec.dropout = 0.1;
  return models::build_classifier(spec, 42);
}

TrainOptions quick_options() {
  TrainOptions o;
  o.label = "test";
  o.epochs = 4;
  o.batch_size = 32;
  o.optimizer.learning_rate = 0.05;
  o.show_progress = false;
  o.seed = 9;
  return o;
}

std::vector<at::Tensor> weights(models::Classifier& model) {
  std::vector<at::Tensor> out;
  for (const auto& p : model.parameters()) out.push_back(p.detach().clone());
  return out;
}

void expect_bit_identical(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "parameter " << i;
}

/// Cross-entropy that throws (a simulated crash) or returns NaN (divergence) at a given point.
class FaultyObjective : public LabelObjective {
 public:
  enum class Fault { kCrash, kNan };
  FaultyObjective(int64_t at_call, Fault fault) : at_call_(at_call), fault_(fault) {}
  at::Tensor loss(const data::Batch& batch, const at::Tensor& logits,
                  const models::FeatureTaps& taps) override {
    if (++calls_ == at_call_) {
      if (fault_ == Fault::kCrash) throw std::runtime_error("simulated crash");
      return LabelObjective::loss(batch, logits, taps) * NAN;
    }
    return LabelObjective::loss(batch, logits, taps);
  }

 private:
  int64_t calls_ = 0;
  int64_t at_call_;
  Fault fault_;
};

TEST(Trainer, LearnsSeparableDataAndKeepsTheBestValidationEpoch) {
  const data::Dataset train = make_blobs(600, 1), validation = make_blobs(200, 2);
  auto model = make_model();
  LabelObjective objective;
  const TrainingSummary summary = train_model(*model, objective, train, validation, quick_options());
  ASSERT_EQ(summary.history.size(), 4u);
  double best = 0;
  for (const auto& e : summary.history) best = std::max(best, e.validation_accuracy);
  EXPECT_EQ(summary.best_validation_accuracy, best);
  EXPECT_GT(best, 0.95);
  // The returned model carries the best epoch's weights.
  const at::Tensor logits = models::predict_logits(*model, validation.features, 64);
  EXPECT_NEAR(logits.argmax(1).eq(validation.labels).to(at::kDouble).mean().item<double>(), best, 1e-12);
  EXPECT_LT(summary.history.back().train_loss, summary.history.front().train_loss);
}

TEST(Trainer, SameSeedGivesBitIdenticalWeights) {
  const data::Dataset train = make_blobs(300, 1);
  auto a = make_model(), b = make_model();
  LabelObjective objective;
  train_model(*a, objective, train, {}, quick_options());
  train_model(*b, objective, train, {}, quick_options());
  expect_bit_identical(weights(*a), weights(*b));
}

TEST(Trainer, ResumeAfterACrashIsBitIdenticalToAnUninterruptedRun) {
  TempDir dir;
  const data::Dataset train = make_blobs(300, 1), validation = make_blobs(100, 2);
  TrainOptions options = quick_options();
  options.checkpoint_path = dir / "run.ckpt";

  auto reference = make_model();
  LabelObjective objective;
  const TrainingSummary full = train_model(*reference, objective, train, validation, options);

  // Crash in the middle of epoch 3 (10 batches per epoch), then resume with a fresh process state.
  std::filesystem::remove(options.checkpoint_path);
  auto interrupted = make_model();
  FaultyObjective crashing(25, FaultyObjective::Fault::kCrash);
  EXPECT_THROW(train_model(*interrupted, crashing, train, validation, options), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(options.checkpoint_path));

  auto resumed = make_model();
  options.resume = true;
  const TrainingSummary second = train_model(*resumed, objective, train, validation, options);
  EXPECT_EQ(second.resumed_after_epoch, 2);
  ASSERT_EQ(second.history.size(), full.history.size());
  for (size_t i = 0; i < full.history.size(); ++i)
    EXPECT_EQ(second.history[i].train_loss, full.history[i].train_loss) << "epoch " << i + 1;
  expect_bit_identical(weights(*resumed), weights(*reference));
}

/// One change to what a run was trained with, and the recipe key that must name it.
struct RecipeChange {
  std::string key;
  std::function<void(TrainOptions&, data::Dataset&)> apply;
};

class TrainerResume : public ::testing::TestWithParam<RecipeChange> {};

TEST_P(TrainerResume, ACheckpointOfAnotherRecipeIsRefusedNamingTheKey) {
  TempDir dir;
  data::Dataset train = make_blobs(100, 1);
  TrainOptions options = quick_options();
  options.checkpoint_path = dir / "run.ckpt";
  options.epochs = 2;
  options.recipe.set("teacher.identity", "teacher-a");
  LabelObjective objective;
  train_model(*make_model(), objective, train, {}, options);
  ASSERT_TRUE(std::filesystem::exists(options.checkpoint_path));
  options.resume = true;
  GetParam().apply(options, train);
  const Error e = thrown_error([&] { train_model(*make_model(), objective, train, {}, options); });
  const std::string message = e.what();
  EXPECT_NE(message.find("was written by another recipe"), std::string::npos) << message;
  EXPECT_NE(message.find("  " + GetParam().key + ": "), std::string::npos) << message;
  EXPECT_NE(e.hint().find("without --resume"), std::string::npos) << e.hint();
}

const RecipeChange kRecipeChanges[] = {
    {"training.lr", [](TrainOptions& o, data::Dataset&) { o.optimizer.learning_rate = 0.5; }},
    {"training.momentum", [](TrainOptions& o, data::Dataset&) { o.optimizer.momentum = 0.5; }},
    {"training.nesterov", [](TrainOptions& o, data::Dataset&) { o.optimizer.nesterov = true; }},
    {"training.weight_decay",
     [](TrainOptions& o, data::Dataset&) { o.optimizer.weight_decay = 5e-4; }},
    {"training.warmup_epochs", [](TrainOptions& o, data::Dataset&) { o.schedule.warmup_epochs = 1; }},
    {"training.augmentation.max_shift",
     [](TrainOptions& o, data::Dataset&) { o.augmentation.max_shift = 2; }},
    {"training.augmentation.horizontal_flip",
     [](TrainOptions& o, data::Dataset&) { o.augmentation.horizontal_flip = true; }},
    {"training.early_stopping_patience",
     [](TrainOptions& o, data::Dataset&) { o.early_stopping_patience = 3; }},
    {"training.seed", [](TrainOptions& o, data::Dataset&) { o.seed = 10; }},
    // The same number of samples with other values: only the content hash can tell.
    {"data.content",
     [](TrainOptions&, data::Dataset& d) { d.features = d.features.clone().add_(1e-3); }},
    {"teacher.identity",
     [](TrainOptions& o, data::Dataset&) { o.recipe.set("teacher.identity", "teacher-b"); }},
};

INSTANTIATE_TEST_SUITE_P(Changes, TrainerResume, ::testing::ValuesIn(kRecipeChanges),
                         [](const ::testing::TestParamInfo<RecipeChange>& info) {
                           std::string name = info.param.key;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(Trainer, ContentHashTellsDatasetsApartAndTakesEmptyOnes) {
  const data::Dataset a = make_blobs(50, 1), b = make_blobs(50, 2);
  EXPECT_EQ(dataset_content_hash(a), dataset_content_hash(make_blobs(50, 1)));
  EXPECT_NE(dataset_content_hash(a), dataset_content_hash(b));
  data::Dataset relabelled = a;
  relabelled.labels = a.labels.clone();
  relabelled.labels[0] = (relabelled.labels[0].item<int64_t>() + 1) % 3;
  EXPECT_NE(dataset_content_hash(a), dataset_content_hash(relabelled));
  EXPECT_EQ(dataset_content_hash(data::Dataset{}), "empty");  // validation_size: 0
}

TEST(Trainer, ResumeWithTheSameRecipeButMoreEpochsIsRefusedToo) {
  // The schedule depends on the number of epochs: a longer run is another run.
  TempDir dir;
  const data::Dataset train = make_blobs(100, 1);
  TrainOptions options = quick_options();
  options.checkpoint_path = dir / "run.ckpt";
  options.epochs = 1;
  LabelObjective objective;
  train_model(*make_model(), objective, train, {}, options);
  options.resume = true;
  options.epochs = 2;
  const Error e = thrown_error([&] { train_model(*make_model(), objective, train, {}, options); });
  EXPECT_NE(std::string(e.what()).find("  training.epochs: 1 before, 2 now"), std::string::npos)
      << e.what();
}

TEST(Trainer, DivergenceStopsWithEpochAndBatchAndKeepsTheLastGoodCheckpoint) {
  TempDir dir;
  const data::Dataset train = make_blobs(300, 1);
  TrainOptions options = quick_options();
  options.checkpoint_path = dir / "run.ckpt";
  FaultyObjective diverging(14, FaultyObjective::Fault::kNan);
  auto model = make_model();
  try {
    train_model(*model, diverging, train, {}, options);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "test diverged: the loss is nan at epoch 2, batch 4 of 10");
    EXPECT_NE(e.hint().find("lower the learning rate"), std::string::npos);
  }
  // The epoch-1 checkpoint is intact and resumable.
  options.resume = true;
  LabelObjective objective;
  const TrainingSummary summary = train_model(*make_model(), objective, train, {}, options);
  EXPECT_EQ(summary.resumed_after_epoch, 1);
}

TEST(Trainer, EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement) {
  const data::Dataset train = make_blobs(300, 1), validation = make_blobs(100, 2);
  TrainOptions options = quick_options();
  options.epochs = 30;
  options.early_stopping_patience = 2;
  LabelObjective objective;
  auto model = make_model();
  const TrainingSummary summary = train_model(*model, objective, train, validation, options);
  EXPECT_TRUE(summary.stopped_early);
  EXPECT_LT(summary.history.size(), 30u);
  EXPECT_EQ(static_cast<int64_t>(summary.history.size()), summary.best_epoch + 2);
}

/// The weights after training on the blobs with `micro_batch_size`, from the same start.
std::vector<at::Tensor> weights_after_micro_batches(int64_t micro_batch_size, OptimizerKind kind) {
  models::ModelSpec spec;
  spec.input_shape = {8};
  spec.num_classes = 3;
  spec.hidden = {16};  // no dropout: passes draw no masks
  auto model = models::build_classifier(spec, 42);
  TrainOptions options = quick_options();
  options.optimizer.kind = kind;
  options.optimizer.learning_rate = kind == OptimizerKind::kSgd ? 0.05 : 0.01;
  options.micro_batch_size = micro_batch_size;
  options.epochs = 2;
  LabelObjective objective;
  train_model(*model, objective, make_blobs(200, 1), make_blobs(60, 2), options);
  return weights(*model);
}

// Batches of 32 (the last of 200 rows: 8) in passes of 7: the gradients of the passes, each
// weighted by its share, add up to the batch's mean-loss gradient, so the steps are the
// whole-batch steps up to float rounding, for SGD and Adam alike; a pass as large as the batch
// is the batch, bit for bit.
TEST(Trainer, MicroBatchesStepLikeTheWholeBatch) {
  for (const OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam}) {
    const auto whole = weights_after_micro_batches(0, kind);
    const auto passes = weights_after_micro_batches(7, kind);
    ASSERT_EQ(whole.size(), passes.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_TRUE(at::allclose(passes[i], whole[i], 1e-4, 1e-5))
          << "parameter " << i << ": largest difference "
          << (passes[i] - whole[i]).abs().max().item<double>();
    }
    expect_bit_identical(weights_after_micro_batches(32, kind), whole);
  }
}

/// Cross-entropy plus a term on a trainable parameter of the objective's own (as hint adapters
/// are), whose gradient is 1,000 per element.
class ObjectiveWithAnAdapter : public LabelObjective {
 public:
  ObjectiveWithAnAdapter() : adapter_(std::make_shared<torch::nn::Module>()) {
    weight_ = adapter_->register_parameter("weight", at::zeros({4}));
  }
  at::Tensor loss(const data::Batch& batch, const at::Tensor& logits,
                  const models::FeatureTaps& taps) override {
    return LabelObjective::loss(batch, logits, taps) + 1000 * weight_.sum();
  }
  std::shared_ptr<torch::nn::Module> trainable() override { return adapter_; }
  const at::Tensor& weight() const { return weight_; }

 private:
  std::shared_ptr<torch::nn::Module> adapter_;
  at::Tensor weight_;
};

// Clipping takes the global norm over everything the optimizer steps, the objective's own
// parameters too: one SGD step at lr 1 with the norm clipped to 1 moves the adapter by less
// than 1 (unclipped, its gradient alone would move it by 2,000).
TEST(Trainer, GradientClippingCoversTheObjectivesOwnParameters) {
  auto model = make_model();
  TrainOptions options = quick_options();
  options.epochs = 1;
  options.batch_size = 200;  // one step
  options.optimizer.learning_rate = 1;
  options.optimizer.momentum = 0;
  options.schedule.kind = ScheduleKind::kConstant;
  options.max_gradient_norm = 1;
  ObjectiveWithAnAdapter objective;
  train_model(*model, objective, make_blobs(200, 1), make_blobs(60, 2), options);
  const double moved = objective.weight().norm().item<double>();
  EXPECT_GT(moved, 0.5);
  EXPECT_LE(moved, 1.0 + 1e-5);
}

TEST(Trainer, RejectsBadOptionsNamingTheKey) {
  TrainOptions options = quick_options();
  options.batch_size = 0;
  try {
    validate_train_options(options, "student.train");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "student.train.batch_size = 0: expected >= 1");
  }
  options = quick_options();
  options.micro_batch_size = -4;
  EXPECT_STREQ(thrown_error([&] { validate_train_options(options, "teacher.train"); }).what(),
               "teacher.train.micro_batch_size = -4: expected >= 0 (0: the whole batch in one "
               "pass)");
}

}  // namespace
}  // namespace distill::distillation
