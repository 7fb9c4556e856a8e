// A module's state (parameters, then buffers) as one list, and loading it from archives with
// every tensor's shape and type checked. libtorch's Module::load replaces a parameter whose
// stored shape differs (Tensor::set_), so without the check a tampered or mismatched file would
// yield a model of the wrong shape that fails, or reads out of bounds, later.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>

#include <string>
#include <vector>

namespace distill::models {

/// Parameters then buffers, in registration order (the order checkpoints store them in).
std::vector<at::Tensor> module_state(const torch::nn::Module& module);

/// Throws distill::Error naming `source`, `what` and the first tensor whose shape or type
/// differs from `expected`, or when the counts differ.
void check_same_layout(const std::vector<at::Tensor>& expected,
                       const std::vector<at::Tensor>& found, const std::string& source,
                       const std::string& what);

/// module.load(archive), then checks that every parameter and buffer kept its shape and type
/// and is contiguous. Errors name `source`.
void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                         const std::string& source);

}  // namespace distill::models
