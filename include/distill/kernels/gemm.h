// Dense fp32 matrix products on raw row-major buffers, without libtorch: a plain reference and a
// oneDNN one (the fastest GEMM on these CPUs, docs/benchmarks.md). Tests hold them together.
#pragma once

#include <cstdint>

namespace distill::kernels {

/// C (m×n) = op(A) (m×k) · op(B) (k×n) [+ bias (n), broadcast over rows]; all row-major.
/// op(A) = A, stored m×k, or Aᵀ with A stored k×m when transpose_a; likewise B (k×n or n×k).
struct GemmShape {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  bool transpose_a = false;
  bool transpose_b = false;
};

/// Throws distill::Error naming the dimension when a size is negative.
void validate(const GemmShape& shape);

/// Reference: three loops, double accumulation. bias may be null.
void reference_gemm_f32(const GemmShape& shape, const float* a, const float* b, const float* bias,
                        float* c);

/// oneDNN matmul. Primitives are built once per shape and reused; thread-safe. Uses the calling
/// thread's OpenMP thread count (libtorch's at::set_num_threads sets it). bias may be null.
void onednn_gemm_f32(const GemmShape& shape, const float* a, const float* b, const float* bias,
                     float* c);

}  // namespace distill::kernels
