// CNN building blocks.
#include "distill/models/conv_blocks.h"

#include <ATen/ATen.h>

#include "distill/ops/batch_norm.h"
#include "distill/ops/conv2d.h"

namespace distill::models {

ConvBnImpl::ConvBnImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                       int64_t groups) {
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                                    .stride(stride)
                                    .padding(kernel / 2)
                                    .groups(groups)
                                    .bias(false)));
  kernel_padding_ = kernel / 2;
  bn_ = register_module("bn", torch::nn::BatchNorm2d(out_channels));
}

at::Tensor ConvBnImpl::forward(const at::Tensor& x, ConvActivation activation) {
  // ops::conv2d and ops::batch_norm: libtorch's layers, or oneDNN's on channels-last activations
  // on the fast compute path; the modules' own parameters and buffers either way (saved models
  // and folding read them).
  const auto& o = conv_->options;
  const at::Tensor y =
      ops::conv2d(x, conv_->weight, o.stride()->at(0), kernel_padding_, o.groups());
  switch (activation) {
    case ConvActivation::kRelu:
      return ops::batch_norm(*bn_, y, ops::BatchNormActivation::kRelu);
    case ConvActivation::kRelu6:
      return at::hardtanh(ops::batch_norm(*bn_, y, ops::BatchNormActivation::kNone), 0.0, 6.0);
    case ConvActivation::kNone:
      break;
  }
  return ops::batch_norm(*bn_, y, ops::BatchNormActivation::kNone);
}

ResidualBlockImpl::ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  first_ = register_module("conv1", ConvBn(in_channels, out_channels, 3, stride, 1));
  second_ = register_module("conv2", ConvBn(out_channels, out_channels, 3, 1, 1));
  if (stride != 1 || in_channels != out_channels)
    shortcut_ = register_module("shortcut", ConvBn(in_channels, out_channels, 1, stride, 1));
}

at::Tensor ResidualBlockImpl::forward(const at::Tensor& x) {
  const at::Tensor residual = shortcut_ ? shortcut_->forward(x) : x;
  return at::relu(second_->forward(first_->forward(x, ConvActivation::kRelu)) + residual);
}

DepthwiseSeparableBlockImpl::DepthwiseSeparableBlockImpl(int64_t in_channels,
                                                         int64_t out_channels, int64_t stride) {
  depthwise_ = register_module("depthwise", ConvBn(in_channels, in_channels, 3, stride, in_channels));
  pointwise_ = register_module("pointwise", ConvBn(in_channels, out_channels, 1, 1, 1));
}

at::Tensor DepthwiseSeparableBlockImpl::forward(const at::Tensor& x) {
  return pointwise_->forward(depthwise_->forward(x, ConvActivation::kRelu6), ConvActivation::kRelu6);
}

}  // namespace distill::models
