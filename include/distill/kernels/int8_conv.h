// Quantized 2-D convolution on raw NHWC buffers, without libtorch: uint8 activations (one scale
// and zero point per tensor) convolved with int8 weights (one scale per output channel), int32
// accumulation, bias in float, an optional residual added, a clamp (ReLU / ReLU6), and the
// result requantized to uint8. A plain reference and a oneDNN version; tests hold them together.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>

namespace distill::kernels {

/// For each sample n, output pixel (i, j) and output channel o in group g:
///   acc = Σ_{c ∈ g, di, dj} (x[n][i·stride + di − pad][j·stride + dj − pad][c] − x_zero)
///                          · w[o][c][di][dj]
///   v   = x_scale · w_scale[o] · acc + bias[o]  (+ r_scale · (r[n][i][j][o] − r_zero))
///   y   = clamp(round_half_even(clamp(v, clamp_min, clamp_max) / y_scale) + y_zero, 0, 255)
/// where pixels outside the input read `pad_value` (a uint8 code).
struct Int8ConvParams {
  int64_t batch = 0;
  int64_t height = 0;  // input
  int64_t width = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t groups = 1;
  float input_scale = 1;
  int32_t input_zero_point = 0;
  int32_t pad_value = 0;
  const float* weight_scales = nullptr;  // out_channels
  const float* bias = nullptr;           // out_channels, or null for none
  bool residual = false;
  float residual_scale = 1;
  int32_t residual_zero_point = 0;
  float clamp_min = -std::numeric_limits<float>::infinity();
  float clamp_max = std::numeric_limits<float>::infinity();
  float output_scale = 1;
  int32_t output_zero_point = 0;

  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  /// Multiply-adds of the whole batch.
  int64_t macs() const;
};

/// Throws distill::Error naming the field when a size, scale or zero point is out of range.
void validate(const Int8ConvParams& params);

/// x: uint8 (batch, height, width, in_channels); weights: int8 (out, in/groups, k, k);
/// residual: uint8 of y's shape, or null without one; y: uint8 (batch, out_h, out_w, out).
void reference_int8_conv(const Int8ConvParams& params, const uint8_t* x, const int8_t* weights,
                         const uint8_t* residual, uint8_t* y);

/// A oneDNN int8 convolution prepared once (scales, zero points, bias and clamp baked into the
/// primitive, weights reordered into its kernel's layout once per batch size). Padding with a
/// non-zero code, or an input with a zero point, is done by copying the input into a padded
/// buffer, since oneDNN pads with zero codes. Thread-safe: threads may run slices at once.
class OneDnnInt8Conv {
 public:
  /// `params` without batch (it comes with each call); weights copied.
  OneDnnInt8Conv(const Int8ConvParams& params, const int8_t* weights);
  ~OneDnnInt8Conv();
  OneDnnInt8Conv(OneDnnInt8Conv&&) noexcept;
  OneDnnInt8Conv& operator=(OneDnnInt8Conv&&) noexcept;

  /// Same buffers as reference_int8_conv; residual must be given exactly when the params say so.
  void run(int64_t batch, const uint8_t* x, const uint8_t* residual, uint8_t* y);

 private:
  struct Prepared;
  struct State;
  std::unique_ptr<State> state_;
};

/// Global average pooling of uint8 NHWC activations: out[n][c] = quantized mean over the H·W
/// pixels of x[n][·][·][c], dequantized with (scale, zero_point) and requantized with
/// (out_scale, out_zero_point), rounding half to even.
void int8_global_average_pool(const uint8_t* x, int64_t batch, int64_t pixels, int64_t channels,
                              float scale, int32_t zero_point, float out_scale,
                              int32_t out_zero_point, uint8_t* out);

}  // namespace distill::kernels
