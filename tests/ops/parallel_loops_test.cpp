// Every loop distill splits over threads itself (at::parallel_for in its own code) computes the
// same bits on one thread and on three: counter-based dropout forward and backward, the mean
// embedding bag, the fused SGD, Adam and AdamW steps. (The fused LSTM is held to nn::LSTM on
// three threads in lstm_test.cpp.) Sizes are chosen above each loop's grain, so three threads
// really split them (tests/core/threads_test.cpp checks that loops split at all).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <functional>
#include <vector>

#include "distill/distillation/fused_adam.h"
#include "distill/distillation/fused_sgd.h"
#include "distill/ops/dropout.h"
#include "distill/ops/embedding_bag.h"

namespace distill {
namespace {

/// `compute` run on 1 and then on 3 threads, each time from the same seed; the thread count
/// restored.
std::vector<at::Tensor> on_threads(int threads,
                                   const std::function<std::vector<at::Tensor>()>& compute) {
  const int saved = at::get_num_threads();
  at::set_num_threads(threads);
  at::manual_seed(7);
  std::vector<at::Tensor> out = compute();
  at::set_num_threads(saved);
  return out;
}

void expect_same_on_one_and_three_threads(const std::function<std::vector<at::Tensor>()>& compute) {
  const std::vector<at::Tensor> one = on_threads(1, compute), three = on_threads(3, compute);
  ASSERT_EQ(one.size(), three.size());
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_TRUE(at::equal(one[i], three[i]))
        << "output " << i << " differs by up to " << (one[i] - three[i]).abs().max().item<float>();
}

TEST(ParallelLoops, CounterDropoutIsTheSameOnAnyThreadCount) {
  expect_same_on_one_and_three_threads([] {
    const at::Tensor x = at::randn({300, 1000}).requires_grad_(true);  // 9 grains of 32,768
    const at::Tensor y = ops::counter_dropout(x, 0.3, /*training=*/true);
    const at::Tensor upstream = at::randn({300, 1000});
    (y * upstream).sum().backward();
    return std::vector<at::Tensor>{y.detach(), x.grad()};
  });
}

TEST(ParallelLoops, EmbeddingBagMeanIsTheSameOnAnyThreadCount) {
  expect_same_on_one_and_three_threads([] {
    const at::Tensor table = at::randn({500, 64}).requires_grad_(true);
    const at::Tensor rows = at::randint(0, 500, {2000}, at::kLong);
    // 100 bags of 0 to 39 rows (some empty), 16 bags a task.
    at::Tensor offsets = at::randint(0, 40, {100}, at::kLong).cumsum(0);
    offsets = at::cat({at::zeros({1}, at::kLong), offsets.slice(0, 0, 99)}).clamp_max(2000);
    const at::Tensor pooled = ops::fast_embedding_bag_mean(table, rows, offsets);
    (pooled * at::randn({100, 64})).sum().backward();
    return std::vector<at::Tensor>{pooled.detach(), table.grad()};
  });
}

/// Three steps of `optimizer` on a 400×500 weight (200,000 elements: 4 grains of 65,536) and a
/// small bias (one grain), from random gradients; the parameters after them.
template <typename Optimizer, typename Options>
std::vector<at::Tensor> three_steps(const Options& options) {
  at::Tensor weight = at::randn({400, 500}).requires_grad_(true);
  at::Tensor bias = at::randn({500}).requires_grad_(true);
  Optimizer optimizer({weight, bias}, options);
  for (int step = 0; step < 3; ++step) {
    weight.mutable_grad() = at::randn({400, 500});
    bias.mutable_grad() = at::randn({500});
    optimizer.step();
  }
  return {weight.detach().clone(), bias.detach().clone()};
}

TEST(ParallelLoops, FusedOptimizerStepsAreTheSameOnAnyThreadCount) {
  expect_same_on_one_and_three_threads([] {
    return three_steps<distillation::FusedSgd>(
        torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(5e-4));
  });
  expect_same_on_one_and_three_threads([] {
    return three_steps<distillation::FusedAdam>(torch::optim::AdamOptions(0.01).weight_decay(1e-4));
  });
  expect_same_on_one_and_three_threads(
      [] { return three_steps<distillation::FusedAdamW>(torch::optim::AdamWOptions(0.01)); });
}

}  // namespace
}  // namespace distill
