// One direction of one LSTM layer as an autograd operation: the whole sequence's forward and its
// backward through time as a handful of products plus a fused cell kernel per step
// (kernels/lstm_cell.h), where libtorch's LSTM runs a dozen dispatched operations per step and
// direction, forward and backward again.
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::ops {

/// The hidden states (B, L, H) of an LSTM over x (B, L, I), batch first, from zero states: what
/// torch::nn::LSTM (batch_first, one layer, one direction) returns first, with its parameters —
/// weight_ih (4H, I), weight_hh (4H, H), bias_ih and bias_hh (4H), gates in PyTorch's order
/// (i, f, g, o). Gradients flow to x and to all four parameters. CPU float tensors.
at::Tensor lstm(const at::Tensor& x, const at::Tensor& weight_ih, const at::Tensor& weight_hh,
                const at::Tensor& bias_ih, const at::Tensor& bias_hh);

}  // namespace distill::ops
