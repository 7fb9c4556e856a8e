// The 2-D convolution of the CNN families (no bias) as an autograd operation, run by the
// reference (at::conv2d) or the fast path (oneDNN forward, backward-data and backward-weights
// on channels-last activations, kernels/conv2d.h) according to kernels::compute_path().
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace distill::ops {

/// y = conv(x, weight), zero padding on every side. x: (B, C, H, W); weight: (O, C/groups, k, k)
/// square; y: (B, O, H', W'). The fast path takes float32 CPU tensors and returns y in
/// channels-last memory (at::MemoryFormat::ChannelsLast); its input is made channels-last if it
/// is not (a network whose layers all run it keeps its activations so, and copies none).
/// Anything else runs the reference.
at::Tensor conv2d(const at::Tensor& x, const at::Tensor& weight, int64_t stride, int64_t padding,
                  int64_t groups);

/// The fast path regardless of compute_path() (tests, benchmarks). Same contract as conv2d.
at::Tensor onednn_conv2d(const at::Tensor& x, const at::Tensor& weight, int64_t stride,
                         int64_t padding, int64_t groups);

}  // namespace distill::ops
