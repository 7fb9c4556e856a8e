// The building blocks of the CNN families: conv + batch norm, the residual basic block and the
// depthwise-separable block.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace distill::models {

// B = batch; Cin/Cout = channels; H, W = height and width.

/// What follows a ConvBn's batch norm.
enum class ConvActivation { kNone, kRelu, kRelu6 };

/// Convolution (no bias) followed by batch norm and, optionally, its activation. On the fast
/// compute path in training, batch norm and a ReLU run as one oneDNN operation
/// (ops/batch_norm.h); ReLU6 stays libtorch's hardtanh (oneDNN 2.6 fuses only ReLU).
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
             int64_t groups);
  /// x: (B, Cin, H, W) -> (B, Cout, H', W')
  at::Tensor forward(const at::Tensor& x, ConvActivation activation = ConvActivation::kNone);

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  int64_t kernel_padding_ = 0;  // kernel / 2 on every side
};
TORCH_MODULE(ConvBn);

/// ResNet basic block: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)), the shortcut a
/// 1x1 conv + bn when the shape changes.
class ResidualBlockImpl : public torch::nn::Module {
 public:
  ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  at::Tensor forward(const at::Tensor& x);

 private:
  ConvBn first_{nullptr};
  ConvBn second_{nullptr};
  ConvBn shortcut_{nullptr};
};
TORCH_MODULE(ResidualBlock);

/// MobileNet block: relu6(bn(depthwise 3x3)) then relu6(bn(pointwise 1x1)).
class DepthwiseSeparableBlockImpl : public torch::nn::Module {
 public:
  DepthwiseSeparableBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  at::Tensor forward(const at::Tensor& x);

 private:
  ConvBn depthwise_{nullptr};
  ConvBn pointwise_{nullptr};
};
TORCH_MODULE(DepthwiseSeparableBlock);

}  // namespace distill::models
