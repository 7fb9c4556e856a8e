// Checked loading of module state: libtorch's Module::load would silently take a stored tensor
// of another shape; load_module_checked refuses it, naming the tensor and both shapes.
#include "distill/models/module_state.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>
#include <torch/serialize/output-archive.h>

#include <sstream>

#include "distill/core/error.h"

namespace distill::models {
namespace {

torch::serialize::InputArchive archive_of(torch::nn::Module& module) {
  torch::serialize::OutputArchive out;
  module.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  std::istringstream stream(bytes.str());
  in.load_from(stream);
  return in;
}

TEST(ModuleState, ListsParametersThenBuffers) {
  torch::nn::Linear linear(4, 3);
  const auto state = module_state(*linear);
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].sizes(), at::IntArrayRef({3, 4}));
  EXPECT_EQ(state[1].sizes(), at::IntArrayRef({3}));
}

TEST(ModuleState, LoadsMatchingWeightsExactly) {
  torch::nn::Linear source(4, 3), target(4, 3);
  auto archive = archive_of(*source);
  load_module_checked(*target, archive, "weights.pt");
  EXPECT_TRUE(at::equal(target->weight, source->weight));
  EXPECT_TRUE(at::equal(target->bias, source->bias));
}

TEST(ModuleState, RefusesAStoredTensorOfAnotherShape) {
  // Same parameter names, other widths: plain Module::load would reshape the target.
  torch::nn::Linear source(4, 5), target(4, 3);
  auto archive = archive_of(*source);
  try {
    load_module_checked(*target, archive, "weights.pt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("weights.pt"), std::string::npos) << message;
    EXPECT_NE(message.find("tensor 0"), std::string::npos) << message;
    EXPECT_NE(message.find("[5, 4]"), std::string::npos) << message;
    EXPECT_NE(message.find("[3, 4]"), std::string::npos) << message;
  }
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
