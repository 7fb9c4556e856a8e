// Running a PyTorch formula in /usr/bin/python3 on a model's own weights: the independent values
// the models and losses are held to.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace distill::testing {

/// {"shape": [...], "values": [...]} in float64.
nlohmann::json tensor_json(const at::Tensor& t);

/// Runs `body` in /usr/bin/python3 after a preamble that defines `r` (the request: `fields`
/// plus "weights", every named parameter of `module`), `t(e)` (a request tensor as float64) and
/// `w` (the weights by name, float64). The body prints the result's values separated by spaces;
/// they come back as float32 of `shape`. A failing script fails the calling test.
at::Tensor run_pytorch_reference(const std::string& body, const torch::nn::Module& module,
                                 nlohmann::json fields, const std::vector<int64_t>& shape);

}  // namespace distill::testing
