// The fused LSTM direction held to libtorch's torch::nn::LSTM with the same parameters: hidden
// states and the gradients of the input and all four parameters, over shapes with a partial
// 16-unit group; and a BiLSTM student whose logits and gradients are the same on the fast path
// (the fused operation) and the reference path (libtorch's module), in training mode.
#include "distill/ops/lstm.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/rnn.h>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/model_family.h"

namespace distill::ops {
namespace {

struct LstmCase {
  int64_t batch, length, inputs, units;
};

class FusedLstmTest : public ::testing::TestWithParam<LstmCase> {};

TEST_P(FusedLstmTest, MatchesNnLstmForwardAndBackward) {
  const LstmCase c = GetParam();
  // Three threads: a batch of 40 rows runs its steps in three runs of rows, one per thread.
  const int threads = at::get_num_threads();
  at::set_num_threads(3);
  at::manual_seed(c.batch * 13 + c.units);
  torch::nn::LSTM module(torch::nn::LSTMOptions(c.inputs, c.units).batch_first(true));
  auto parameters = module->named_parameters(/*recurse=*/false);
  const at::Tensor x0 = at::randn({c.batch, c.length, c.inputs});
  const at::Tensor upstream = at::randn({c.batch, c.length, c.units});

  const at::Tensor x_theirs = x0.clone().requires_grad_(true);
  const at::Tensor theirs = std::get<0>(module->forward(x_theirs));
  (theirs * upstream).sum().backward();
  std::map<std::string, at::Tensor> their_gradients;
  for (const auto& p : parameters) {
    their_gradients[p.key()] = p.value().grad().clone();
    p.value().mutable_grad().zero_();
  }

  const at::Tensor x_ours = x0.clone().requires_grad_(true);
  const at::Tensor ours = lstm(x_ours, parameters["weight_ih_l0"], parameters["weight_hh_l0"],
                               parameters["bias_ih_l0"], parameters["bias_hh_l0"]);
  (ours * upstream).sum().backward();

  EXPECT_TRUE(at::allclose(ours, theirs, 1e-5, 1e-6)) << (ours - theirs).abs().max();
  {
    // Inference keeps nothing for a backward pass and computes the same states.
    const at::NoGradGuard no_gradient;
    EXPECT_TRUE(at::equal(lstm(x0, parameters["weight_ih_l0"], parameters["weight_hh_l0"],
                               parameters["bias_ih_l0"], parameters["bias_hh_l0"]),
                          ours.detach()));
  }
  EXPECT_TRUE(at::allclose(x_ours.grad(), x_theirs.grad(), 1e-4, 1e-5))
      << (x_ours.grad() - x_theirs.grad()).abs().max();
  for (const auto& p : parameters) {
    const at::Tensor& expected = their_gradients[p.key()];
    EXPECT_TRUE(at::allclose(p.value().grad(), expected, 1e-4, 1e-5))
        << p.key() << ": " << (p.value().grad() - expected).abs().max();
  }
  at::set_num_threads(threads);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FusedLstmTest,
                         ::testing::Values(LstmCase{3, 7, 5, 9}, LstmCase{4, 1, 6, 16},
                                           LstmCase{2, 12, 8, 37}, LstmCase{1, 5, 3, 2},
                                           LstmCase{40, 6, 5, 20}));

TEST(FusedLstm, RefusesParametersThatDoNotFit) {
  const at::Tensor x = at::randn({2, 3, 4});
  const at::Tensor w_ih = at::randn({12, 4}), w_hh = at::randn({12, 3}), b = at::randn({12});
  EXPECT_NO_THROW(lstm(x, w_ih, w_hh, b, b));
  EXPECT_THROW(lstm(x, at::randn({12, 5}), w_hh, b, b), Error);
  EXPECT_THROW(lstm(x, w_ih, at::randn({8, 3}), b, b), Error);
  EXPECT_THROW(lstm(x.view({6, 4}), w_ih, w_hh, b, b), Error);
}

TEST(FusedLstm, BiLstmStudentLearnsTheSameOnBothComputePaths) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kBiLstm;
  spec.input_shape = {7};
  spec.num_classes = 3;
  spec.vocab_size = 40;
  spec.embedding_dim = 6;
  spec.hidden = {5};
  spec.layers = 2;
  // <cls> (2), then texts of 5, 2 and 7 positions, padded with 0.
  const at::Tensor ids =
      at::tensor({2, 9, 17, 33, 5, 0, 0, 2, 11, 0, 0, 0, 0, 0, 2, 4, 4, 39, 21, 8, 30}, at::kLong)
          .view({3, 7});
  const at::Tensor labels = at::tensor({0, 2, 1}, at::kLong);
  std::vector<at::Tensor> logits, gradients;
  for (kernels::ComputePath path :
       {kernels::ComputePath::kReference, kernels::ComputePath::kFast}) {
    const kernels::ScopedComputePath scoped(path);
    models::ClassifierPtr model = models::build_classifier(spec, 21);
    model->train();  // dropout 0: training mode changes nothing but the autograd graph
    const at::Tensor out = model->forward(ids);
    at::cross_entropy_loss(out, labels).backward();
    logits.push_back(out.detach());
    std::vector<at::Tensor> grads;
    for (const at::Tensor& p : model->parameters()) grads.push_back(p.grad().flatten());
    gradients.push_back(at::cat(grads));
  }
  EXPECT_TRUE(at::allclose(logits[1], logits[0], 1e-5, 1e-6))
      << (logits[1] - logits[0]).abs().max();
  EXPECT_TRUE(at::allclose(gradients[1], gradients[0], 1e-4, 1e-6))
      << (gradients[1] - gradients[0]).abs().max();
  EXPECT_GT(gradients[0].abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace distill::ops
