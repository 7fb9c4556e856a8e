// Module state by name, and loading it from tensor files: values are copied into the module's
// tensors only when every name, shape and type matches.
#include "distill/models/module_state.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>

#include "distill/core/error.h"
#include "error_assertions.h"

namespace distill::models {
namespace {

using ::distill::testing::thrown_error;

TensorFile file_of(torch::nn::Module& module) {
  TensorFile file;
  file.kind = "test";
  file.tensors = named_module_state(module, "m.");
  return file;
}

TEST(ModuleState, ListsParametersThenBuffersAndNamesThem) {
  torch::nn::Linear linear(4, 3);
  const auto state = module_state(*linear);
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].sizes(), at::IntArrayRef({3, 4}));
  EXPECT_EQ(state[1].sizes(), at::IntArrayRef({3}));
  const auto named = named_module_state(*linear, "m.");
  EXPECT_EQ(named[0].first, "m.weight");
  EXPECT_EQ(named[1].first, "m.bias");
}

TEST(ModuleState, LoadsMatchingWeightsExactly) {
  torch::nn::Linear source(4, 3), target(4, 3);
  load_named_state(*target, file_of(*source), "m.", "weights.pt");
  EXPECT_TRUE(at::equal(target->weight, source->weight));
  EXPECT_TRUE(at::equal(target->bias, source->bias));
}

TEST(ModuleState, RefusesAStoredTensorOfAnotherShapeOrAMissingOne) {
  torch::nn::Linear source(4, 5), target(4, 3);
  const at::Tensor before = target->weight.clone();
  const Error e =
      thrown_error([&] { load_named_state(*target, file_of(*source), "m.", "weights.pt"); });
  const std::string message = e.what();
  EXPECT_NE(message.find("weights.pt"), std::string::npos) << message;
  EXPECT_NE(message.find("m.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("[5, 4]"), std::string::npos) << message;
  EXPECT_NE(message.find("[3, 4]"), std::string::npos) << message;
  EXPECT_TRUE(target->weight.equal(before)) << "nothing copied into a mismatched tensor";
  TensorFile partial = file_of(*target);
  partial.tensors.pop_back();
  EXPECT_THROW(load_named_state(*target, partial, "m.", "weights.pt"), Error);
}

TEST(ModuleState, CheckSameLayoutComparesCountsShapesAndTypes) {
  const std::vector<at::Tensor> expected = {at::zeros({2, 3}), at::zeros({3})};
  EXPECT_NO_THROW(check_same_layout(expected, {at::ones({2, 3}), at::ones({3})}, "f", "w"));
  EXPECT_THROW(check_same_layout(expected, {at::ones({2, 3})}, "f", "w"), Error);
  EXPECT_THROW(check_same_layout(expected, {at::ones({3, 2}), at::ones({3})}, "f", "w"), Error);
  EXPECT_THROW(check_same_layout(expected, {at::ones({2, 3}), at::ones({3}, at::kDouble)}, "f", "w"),
               Error);
  EXPECT_THROW(check_same_layout(expected, {at::ones({2, 3}), at::Tensor()}, "f", "w"), Error);
}

}  // namespace
}  // namespace distill::models
