// Batch normalization for training on raw NHWC buffers, without libtorch, optionally with the
// ReLU that follows it fused in: forward (the batch's statistics, the normalized and affine
// output) and backward (to the input, the scale and the shift). A plain reference and a oneDNN
// version; tests hold them together.
//
// Fused, the forward pass writes max(z, 0) and a workspace (the ReLU's mask, oneDNN's own
// format) in the pass that writes z, and the backward pass reads the mask in the pass that
// reads dy: a separate ReLU costs one more pass over the activations forward and two backward.
#pragma once

#include <cstdint>

namespace distill::kernels {

/// Activations (batch, height, width, channels), channels last; statistics per channel over the
/// batch × height × width rows.
struct BatchNormShape {
  int64_t batch = 0;
  int64_t height = 1;
  int64_t width = 1;
  int64_t channels = 0;
  float epsilon = 1e-5f;
  bool relu = false;  // y = max(bn(x), 0)

  int64_t rows() const { return batch * height * width; }
  int64_t elements() const { return rows() * channels; }
};

/// Throws distill::Error naming the field when a size or epsilon is out of range.
void validate(const BatchNormShape& shape);

// x, y, dy, dx: (B, H, W, C); scale (γ), shift (β), mean, variance, dscale, dshift: (C).
// mean and variance are the batch's, variance biased (divided by the row count), as the
// normalization uses them; z = scale · (x − mean) / sqrt(variance + ε) + shift.

/// y = z, or max(z, 0) with relu. Reference: plain loops, double accumulation.
void reference_batch_norm_forward(const BatchNormShape& shape, const float* x, const float* scale,
                                  const float* shift, float* y, float* mean, float* variance);
/// dx, dscale, dshift given dy = ∂L/∂y and the forward pass's mean and variance; with relu, dy
/// counts only where z > 0 (z recomputed from x, scale and shift).
void reference_batch_norm_backward(const BatchNormShape& shape, const float* x, const float* dy,
                                   const float* scale, const float* shift, const float* mean,
                                   const float* variance, float* dx, float* dscale, float* dshift);

/// Bytes of the workspace the oneDNN forward pass writes and its backward pass reads: the ReLU's
/// mask with relu, 0 without.
int64_t onednn_batch_norm_workspace_bytes(const BatchNormShape& shape);

/// The oneDNN versions: primitives built once per shape (thread-safe cache), activations read and
/// written in NHWC as they are. `workspace` holds onednn_batch_norm_workspace_bytes(shape) bytes
/// (may be null when that is 0); the backward pass needs the one its forward pass wrote.
void onednn_batch_norm_forward(const BatchNormShape& shape, const float* x, const float* scale,
                               const float* shift, float* y, float* mean, float* variance,
                               uint8_t* workspace);
/// oneDNN 2.6 requires the shift as an input of the backward pass too.
void onednn_batch_norm_backward(const BatchNormShape& shape, const float* x, const float* dy,
                                const float* scale, const float* shift, const float* mean,
                                const float* variance, const uint8_t* workspace, float* dx,
                                float* dscale, float* dshift);

}  // namespace distill::kernels
