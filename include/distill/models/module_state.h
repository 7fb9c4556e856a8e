// A module's state (parameters, then buffers) as one list or by name, and loading it from tensor
// files with every tensor's shape and type checked: values are copied into the built module's
// tensors, so a mismatched or tampered file can never change a model's shapes.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

#include "distill/core/tensor_file.h"

namespace distill::models {

/// Parameters then buffers, in registration order (the order checkpoints store them in).
std::vector<at::Tensor> module_state(const torch::nn::Module& module);

/// Throws distill::Error naming `source`, `what` and the first tensor whose shape or type
/// differs from `expected`, or when the counts differ.
void check_same_layout(const std::vector<at::Tensor>& expected,
                       const std::vector<at::Tensor>& found, const std::string& source,
                       const std::string& what);

/// Parameters and buffers by their dotted names ("fc1.weight", "bn.running_mean"), with
/// `prefix` prepended — how tensor files store a module.
std::vector<std::pair<std::string, at::Tensor>> named_module_state(const torch::nn::Module& module,
                                                                   const std::string& prefix = "");

/// Copies the tensors `prefix` + name of `file` into the module's parameters and buffers. Every
/// one must be present with exactly the module's shape and type; errors name `source`.
void load_named_state(torch::nn::Module& module, const TensorFile& file, const std::string& prefix,
                      const std::string& source);

}  // namespace distill::models
