// Quantized matrix products on raw buffers, without libtorch: uint8 activations (asymmetric,
// one scale and zero point per tensor) times int8 weights (symmetric, one scale per output
// channel), with int32 accumulation, the bias added in float and the result either dequantized
// to float or requantized to uint8 for the next layer. A plain reference and a oneDNN version
// (AVX-512 VNNI kernels where the CPU has them); tests hold them together.
#pragma once

#include <cstdint>
#include <memory>

#include "distill/kernels/quantize.h"

namespace distill::kernels {

enum class Int8Output { kFloat, kUint8 };

/// y[i][j] = a_scale · w_scale[j] · Σ_p (a[i][p] − a_zero) · w[j][p] + bias[j]   (i < m, j < n)
/// kFloat writes y (float, m×n); kUint8 writes clamp(round_half_even(y / out_scale) + out_zero,
/// 0, 255) (uint8, m×n). With out_zero = 0 the clamp at 0 is a free ReLU.
struct Int8GemmParams {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  float input_scale = 1;
  int32_t input_zero_point = 0;
  const float* weight_scales = nullptr;  // n
  const float* bias = nullptr;           // n, or null for none
  Int8Output output = Int8Output::kFloat;
  float output_scale = 1;
  int32_t output_zero_point = 0;
};

/// Throws distill::Error naming the field when a size, scale or zero point is out of range.
void validate(const Int8GemmParams& params);

/// a: uint8 m×k row-major; weights: int8 n×k row-major (one row per output channel).
void reference_int8_gemm(const Int8GemmParams& params, const uint8_t* a, const int8_t* weights,
                         void* y);

/// Same contract; primitives are built once per shape and output type and reused; thread-safe.
void onednn_int8_gemm(const Int8GemmParams& params, const uint8_t* a, const int8_t* weights,
                      void* y);

/// A oneDNN int8 linear layer prepared once, for static quantization where every scale is known
/// at load time: constant scales, zero points and bias are baked into the primitive (which lets
/// oneDNN pick its AVX-512 VNNI brgemm kernel; runtime scales fall back to a slower GEMM) and
/// the weights are reordered into that kernel's layout once per batch size. Small products run
/// on one thread: waking a second one costs more than it saves below a few million MACs.
class OneDnnInt8Linear {
 public:
  /// `params` without m (the batch size comes with each call); weights: int8 n×k row-major,
  /// copied. Throws distill::Error for invalid parameters.
  OneDnnInt8Linear(const Int8GemmParams& params, const int8_t* weights);
  ~OneDnnInt8Linear();
  OneDnnInt8Linear(OneDnnInt8Linear&&) noexcept;
  OneDnnInt8Linear& operator=(OneDnnInt8Linear&&) noexcept;

  /// y = the layer applied to a (m×k uint8); y is float or uint8 (m×n) as the params say.
  /// Thread-safe: threads may run slices of one batch at once.
  void run(int64_t m, const uint8_t* a, void* y);

 private:
  struct Prepared;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace distill::kernels
