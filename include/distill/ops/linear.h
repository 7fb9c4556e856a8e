// The dense layer as an autograd operation, run by the reference (at::linear) or the fast path
// (oneDNN GEMMs forward and backward) according to kernels::compute_path().
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::ops {

/// y = x·weightᵀ + bias. x: (B, in); weight: (out, in); bias: (out) or undefined; y: (B, out).
/// The fast path takes float32 CPU tensors with 2-D x; anything else runs the reference.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

/// The fast path regardless of compute_path() (tests, benchmarks). Same contract as linear.
at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace distill::ops
