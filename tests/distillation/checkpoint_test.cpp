// Checkpoints: a valid one restores everything; one whose tensors do not fit the run being
// resumed (weights, optimizer state, best weights, epoch counts) is refused with the reason,
// before anything reads through a wrongly sized tensor.
#include "distill/distillation/checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

#include "distill/core/error.h"
#include "distill/distillation/fused_sgd.h"
#include "distill/models/module_state.h"
#include "test_support.h"

namespace distill::distillation {
namespace {

using testing::TempDir;

models::ClassifierPtr mlp(int64_t hidden, uint64_t seed = 1) {
  models::ModelSpec spec;
  spec.input_shape = {4};
  spec.hidden = {hidden};
  spec.num_classes = 2;
  return models::build_classifier(spec, seed);
}

/// An SGD optimizer with momentum state after one step on `model`.
std::unique_ptr<FusedSgd> stepped_optimizer(models::Classifier& model) {
  auto optimizer =
      std::make_unique<FusedSgd>(model.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  model.forward(at::ones({2, 4})).sum().backward();
  optimizer->step();
  return optimizer;
}

std::vector<at::Tensor> copy_state(models::Classifier& model) {
  std::vector<at::Tensor> copy;
  for (const at::Tensor& t : models::module_state(model)) copy.push_back(t.detach().clone());
  return copy;
}

TrainingProgress progress_at(int64_t epochs) {
  TrainingProgress progress;
  progress.completed_epochs = epochs;
  progress.fingerprint = "run";
  return progress;
}

/// Loads `path` into a fresh 4-3-2 model and optimizer; returns the error message ("" if none).
std::string load_error(const std::filesystem::path& path) {
  auto model = mlp(3, 7);
  FusedSgd optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<at::Tensor> best;
  try {
    load_checkpoint(path, *model, optimizer, best, "run");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, RoundTripRestoresWeightsOptimizerStateAndBestWeights) {
  TempDir dir;
  auto model = mlp(3);
  auto optimizer = stepped_optimizer(*model);
  const auto best = copy_state(*model);
  save_checkpoint(dir / "c.pt", *model, *optimizer, best, progress_at(2));

  auto restored = mlp(3, 99);
  FusedSgd restored_optimizer(restored->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<at::Tensor> restored_best;
  const TrainingProgress progress =
      load_checkpoint(dir / "c.pt", *restored, restored_optimizer, restored_best, "run");
  EXPECT_EQ(progress.completed_epochs, 2);
  const auto a = models::module_state(*model), b = models::module_state(*restored);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "tensor " << i;
  ASSERT_EQ(restored_best.size(), best.size());
  for (size_t i = 0; i < best.size(); ++i) EXPECT_TRUE(best[i].equal(restored_best[i]));
  EXPECT_EQ(restored_optimizer.state().size(), optimizer->state().size());
}

TEST(Checkpoint, AdamStateRoundTripsAndTrainingContinuesIdentically) {
  for (bool decoupled : {false, true}) {
    TempDir dir;
    auto make = [&](models::Classifier& model) -> std::unique_ptr<torch::optim::Optimizer> {
      if (decoupled)
        return std::make_unique<torch::optim::AdamW>(model.parameters(),
                                                     torch::optim::AdamWOptions(0.01));
      return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                  torch::optim::AdamOptions(0.01));
    };
    auto step = [](models::Classifier& model, torch::optim::Optimizer& optimizer) {
      optimizer.zero_grad();
      model.forward(at::linspace(-1, 1, 8).view({2, 4})).pow(2).sum().backward();
      optimizer.step();
    };
    auto model = mlp(3);
    auto optimizer = make(*model);
    for (int i = 0; i < 3; ++i) step(*model, *optimizer);
    save_checkpoint(dir / "c.pt", *model, *optimizer, {}, progress_at(1));

    auto restored = mlp(3, 5);
    auto restored_optimizer = make(*restored);
    std::vector<at::Tensor> best;
    load_checkpoint(dir / "c.pt", *restored, *restored_optimizer, best, "run");
    for (int i = 0; i < 2; ++i) {
      step(*model, *optimizer);
      step(*restored, *restored_optimizer);
    }
    const auto a = models::module_state(*model), b = models::module_state(*restored);
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(a[i].equal(b[i])) << (decoupled ? "adamw" : "adam") << " tensor " << i;
  }
}

TEST(Checkpoint, WeightsOfAnotherShapeAreRefused) {
  TempDir dir;
  auto wider = mlp(5);
  auto optimizer = stepped_optimizer(*wider);
  save_checkpoint(dir / "c.pt", *wider, *optimizer, {}, progress_at(1));
  const std::string message = load_error(dir / "c.pt");
  EXPECT_NE(message.find("[5, 4]"), std::string::npos) << message;
  EXPECT_NE(message.find("[3, 4]"), std::string::npos) << message;
}

TEST(Checkpoint, OptimizerStateOfAnotherShapeIsRefused) {
  // The fused SGD step writes through the momentum buffer's raw pointer: a buffer shaped for
  // another model must never reach it.
  TempDir dir;
  auto model = mlp(3), wider = mlp(5);
  auto wider_optimizer = stepped_optimizer(*wider);
  save_checkpoint(dir / "c.pt", *model, *wider_optimizer, {}, progress_at(1));
  const std::string message = load_error(dir / "c.pt");
  EXPECT_NE(message.find("of shape [5, 4] for a parameter of shape [3, 4]"), std::string::npos)
      << message;
}

TEST(Checkpoint, BestWeightsThatDoNotFitAreRefused) {
  TempDir dir;
  auto model = mlp(3);
  auto optimizer = stepped_optimizer(*model);
  save_checkpoint(dir / "count.pt", *model, *optimizer, {at::zeros({3, 4})}, progress_at(1));
  EXPECT_NE(load_error(dir / "count.pt").find("best-weights record"), std::string::npos);

  auto best = copy_state(*model);
  best[1] = at::zeros({7});
  save_checkpoint(dir / "shape.pt", *model, *optimizer, best, progress_at(1));
  EXPECT_NE(load_error(dir / "shape.pt").find("best weights tensor 1"), std::string::npos)
      << load_error(dir / "shape.pt");
}

TEST(Checkpoint, NegativeEpochCountsAreRefused) {
  TempDir dir;
  auto model = mlp(3);
  auto optimizer = stepped_optimizer(*model);
  save_checkpoint(dir / "c.pt", *model, *optimizer, {}, progress_at(-4));
  EXPECT_NE(load_error(dir / "c.pt").find("negative epoch counts"), std::string::npos);
}

}  // namespace
}  // namespace distill::distillation
