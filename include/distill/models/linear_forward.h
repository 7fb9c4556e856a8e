// The forward pass of a fully connected layer, written as mm + add.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

namespace distill::models {

/// inputs: (B, in) -> (B, out). libtorch 1.13 with OpenBLAS runs nn::Linear's fused addmm about
/// 4x slower than mm followed by a broadcast add (5.7 ms vs 1.5 ms for 128x784 @ 784x1200 on
/// 2 cores; bench/linear_forward), so every dense layer in distill goes through here.
at::Tensor linear_forward(const torch::nn::Linear& layer, const at::Tensor& inputs);

}  // namespace distill::models
