// The float operations of a folded CNN, shared by its float run, its fake-quantized simulation
// and its quantization-aware training (internal to compression/).
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "distill/compression/cnn_int8_export.h"
#include "distill/runtime/int8_model.h"

namespace distill::compression {

/// A folded convolution's shape and wiring into a layer of the runtime or the kernels, which
/// name these fields alike (runtime::QuantizedConvLayer, kernels::Fp32ConvLayer).
template <typename Layer>
void copy_conv_geometry(const FoldedConv& conv, Layer& layer) {
  layer.out_channels = conv.weight.size(0);
  layer.in_channels = conv.weight.size(1) * conv.groups;
  layer.kernel = conv.weight.size(2);
  layer.stride = conv.stride;
  layer.padding = conv.padding;
  layer.groups = conv.groups;
  layer.input = conv.input;
  layer.residual = conv.residual;
}

inline at::Tensor activate(const at::Tensor& x, runtime::ConvActivation activation) {
  switch (activation) {
    case runtime::ConvActivation::kNone: return x;
    case runtime::ConvActivation::kRelu: return at::relu(x);
    case runtime::ConvActivation::kRelu6: return at::hardtanh(x, 0.0, 6.0);
  }
  return x;
}

/// A tensor's values as floats, in row-major order (the layout the runtime's files and oneDNN's
/// plain formats hold).
inline std::vector<float> float_values(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

/// conv2d with padding of a given value instead of zeros.
inline at::Tensor convolve(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                           int64_t stride, int64_t padding, int64_t groups, double pad_value) {
  const at::Tensor padded =
      padding > 0 ? at::constant_pad_nd(x, {padding, padding, padding, padding}, pad_value) : x;
  const std::vector<int64_t> strides = {stride, stride}, no_padding = {0, 0}, dilation = {1, 1};
  return at::conv2d(padded, weight, bias, strides, no_padding, dilation, groups);
}

}  // namespace distill::compression
