// fp32 2-D convolution for training on raw NHWC buffers, without libtorch: forward, backward to
// the input (data) and backward to the weights, no bias (batch norm follows every convolution
// of the CNN families). A plain reference and a oneDNN version; tests hold them together.
//
// NHWC (channels last) is the layout both libtorch (at::MemoryFormat::ChannelsLast) and
// oneDNN's fast convolution kernels take, so a network kept channels-last reorders no
// activations between layers: measured on AVX-512, oneDNN's NHWC kernels reach the speed of its
// blocked ones (docs/benchmarks.md, "CNN training").
#pragma once

#include <cstdint>

namespace distill::kernels {

/// B = batch; H, W = input height and width; C = in_channels, O = out_channels; G = groups.
struct Conv2dShape {
  int64_t batch = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel = 1;  // square
  int64_t stride = 1;
  int64_t padding = 0;  // zeros, on every side
  int64_t groups = 1;

  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  /// Multiply-adds of one pass (forward, backward-data and backward-weights each do as many).
  int64_t macs() const;
};

/// Throws distill::Error naming the field when a size is out of range or groups do not divide.
void validate(const Conv2dShape& shape);

// x: (B, H, W, C); weights: (O, C/G, k, k), PyTorch's order; y, dy: (B, H', W', O).

/// y = conv(x, w). Reference: plain loops, double accumulation.
void reference_conv2d_forward(const Conv2dShape& shape, const float* x, const float* weights,
                              float* y);
/// dx = ∂L/∂x given dy = ∂L/∂y.
void reference_conv2d_backward_data(const Conv2dShape& shape, const float* dy,
                                    const float* weights, float* dx);
/// dw = ∂L/∂w given x and dy.
void reference_conv2d_backward_weights(const Conv2dShape& shape, const float* x, const float* dy,
                                       float* dw);

/// The oneDNN versions: primitives built once per shape (thread-safe cache); weights reordered
/// into the kernel's layout on each call (they change every step), activations read and written
/// in NHWC as they are.
void onednn_conv2d_forward(const Conv2dShape& shape, const float* x, const float* weights,
                           float* y);
void onednn_conv2d_backward_data(const Conv2dShape& shape, const float* dy, const float* weights,
                                 float* dx);
void onednn_conv2d_backward_weights(const Conv2dShape& shape, const float* x, const float* dy,
                                    float* dw);

}  // namespace distill::kernels
