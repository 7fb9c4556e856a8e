// Pruning: the gradual schedule's closed form, global magnitude masks (exact counts, smallest
// weights, kept at zero), and neuron removal that leaves the function unchanged when the removed
// units were dead.
#include "distill/compression/pruning.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/models/model_size.h"
#include "tensor_assertions.h"

namespace distill::compression {
namespace {

models::ClassifierPtr mlp(std::vector<int64_t> hidden) {
  models::ModelSpec spec;
  spec.input_shape = {6};
  spec.hidden = std::move(hidden);
  spec.num_classes = 3;
  return models::build_classifier(spec, 4);
}

TEST(Pruning, GradualScheduleFollowsTheCubicRamp) {
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 2, 6, 0), 0.0);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 2, 6, 2), 0.0);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 2, 6, 4), 0.8 * (1 - 0.125));  // half way
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 2, 6, 6), 0.8);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 2, 6, 9), 0.8);
  EXPECT_THROW(gradual_sparsity(1.0, 0, 1, 0), Error);
  EXPECT_THROW(gradual_sparsity(0.5, 3, 1, 0), Error);
}

TEST(Pruning, MagnitudeMasksRemoveTheGloballySmallestWeightsOnly) {
  auto model = mlp({20, 10});
  const auto biases_before = model->named_parameters()["fc1.bias"].clone();
  MagnitudePruner pruner(*model);
  EXPECT_EQ(pruner.prunable_weights(), 6 * 20 + 20 * 10 + 10 * 3);
  const int64_t expected_zeros = static_cast<int64_t>(0.6 * 350);
  auto weight_magnitudes = [&] {
    std::vector<at::Tensor> all;
    for (const auto& p : model->parameters())
      if (p.dim() == 2) all.push_back(p.detach().abs().reshape({-1}));
    return at::cat(all);
  };
  // The largest magnitude that must go (weights are continuous: no ties).
  const double threshold =
      std::get<0>(weight_magnitudes().sort())[expected_zeros - 1].item<double>();
  pruner.set_sparsity(0.6);
  const at::Tensor after = weight_magnitudes();
  EXPECT_TRUE(after.gt(threshold).eq(after.ne(0)).all().item<bool>())
      << "exactly the weights above the global threshold survive";
  EXPECT_NEAR(pruner.measured_sparsity(), static_cast<double>(expected_zeros) / 350, 1e-12);
  std::vector<at::Tensor> kept;
  for (const auto& p : model->parameters())
    if (p.dim() == 2) kept.push_back(p.detach().abs().reshape({-1}));
  const at::Tensor all = at::cat(kept);
  EXPECT_EQ(all.eq(0).sum().item<int64_t>(), expected_zeros);
  EXPECT_TRUE(model->named_parameters()["fc1.bias"].equal(biases_before)) << "biases are kept";

  // An optimizer step moves pruned weights; apply() puts them back to zero.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(0.01);
  }
  pruner.apply();
  EXPECT_NEAR(pruner.measured_sparsity(), static_cast<double>(expected_zeros) / 350, 1e-12);
  // Raising the sparsity keeps what was pruned pruned.
  const at::Tensor fc1_zero = model->named_parameters()["fc1.weight"].eq(0);
  pruner.set_sparsity(0.8);
  const at::Tensor fc1_zero_now = model->named_parameters()["fc1.weight"].eq(0);
  EXPECT_TRUE(fc1_zero_now.logical_or(fc1_zero.logical_not()).all().item<bool>());
  EXPECT_THROW(pruner.set_sparsity(1.0), Error);
}

TEST(Pruning, RemovingDeadNeuronsKeepsTheFunctionAndShrinksTheModel) {
  auto model = mlp({8});
  {
    // Units 1, 4, 6 and 7 are dead: no input weights, no bias, so ReLU gives them 0 always.
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters();
    for (int64_t unit : {1, 4, 6, 7}) {
      params["fc1.weight"][unit].zero_();
      params["fc1.bias"][unit].zero_();
    }
  }
  // Half the units go: the dead ones have the smallest incoming norms, so the function stays.
  const models::ClassifierPtr pruned = prune_mlp_neurons(*model, 0.5);
  EXPECT_EQ(pruned->spec().hidden, (std::vector<int64_t>{4}));
  const at::Tensor x = at::randn({5, 6});
  EXPECT_TENSOR_CLOSE(pruned->forward(x), model->forward(x), 1e-6);
  EXPECT_EQ(models::measure_model_size(*pruned).parameters, 6 * 4 + 4 + 4 * 3 + 3);
  // keep_fraction 1 keeps every unit of a deeper MLP: identical logits.
  auto deep = mlp({8, 6});
  EXPECT_TENSOR_CLOSE(prune_mlp_neurons(*deep, 1.0)->forward(x), deep->forward(x), 1e-6);
  EXPECT_EQ(prune_mlp_neurons(*deep, 0.5)->spec().hidden, (std::vector<int64_t>{4, 3}));
  EXPECT_THROW(prune_mlp_neurons(*deep, 0.0), Error);
}

TEST(Pruning, NeuronPruningRefusesCnns) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kResNet;
  spec.input_shape = {1, 8, 8};
  spec.channels = {4};
  spec.num_classes = 3;
  auto cnn = models::build_classifier(spec, 0);
  EXPECT_THROW(prune_mlp_neurons(*cnn, 0.5), Error);
}

}  // namespace
}  // namespace distill::compression
