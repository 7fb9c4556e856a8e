// uint8 quantization: scalar reference, AVX-512 fast path, range parameters.
//
// The compiler does not vectorize the scalar loop (the float clamps and nearbyint keep it
// scalar): 200,704 values take ~45 µs. The AVX-512 loop does the same arithmetic (multiply, then
// add, clamp, convert with the default round-half-even mode) on 16 values at once.
#include "distill/kernels/quantize.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DISTILL_HAVE_AVX512_PATH 1
#endif

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

inline uint8_t quantize_one(float x, float inverse, float zero) {
  const float v = x * inverse + zero;
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(v)));
}

#ifdef DISTILL_HAVE_AVX512_PATH
__attribute__((target("avx512f"))) void quantize_avx512(const float* x, int64_t count,
                                                         float inverse, float zero, uint8_t* q) {
  const __m512 inverse_v = _mm512_set1_ps(inverse), zero_v = _mm512_set1_ps(zero);
  const __m512 low = _mm512_setzero_ps(), high = _mm512_set1_ps(255.0f);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), inverse_v), zero_v);
    v = _mm512_min_ps(_mm512_max_ps(v, low), high);  // max(NaN, 0) is 0
    const __m512i rounded = _mm512_cvtps_epi32(v);     // round half to even (MXCSR default)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(rounded));
  }
  for (; i < count; ++i) q[i] = quantize_one(x[i], inverse, zero);
}

bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

}  // namespace

void reference_quantize_to_uint8(const float* x, int64_t count, float scale, int32_t zero_point,
                                 uint8_t* q) {
  const float inverse = 1.0f / scale, zero = static_cast<float>(zero_point);
  for (int64_t i = 0; i < count; ++i) q[i] = quantize_one(x[i], inverse, zero);
}

void quantize_to_uint8(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* q) {
#ifdef DISTILL_HAVE_AVX512_PATH
  if (cpu_has_avx512()) {
    quantize_avx512(x, count, 1.0f / scale, static_cast<float>(zero_point), q);
    return;
  }
#endif
  reference_quantize_to_uint8(x, count, scale, zero_point, q);
}

void uint8_range_parameters(float lo, float hi, float* scale, int32_t* zero_point) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  DISTILL_CHECK(std::isfinite(lo) && std::isfinite(hi), "quantization range must be finite, got [",
                lo, ", ", hi, "]");
  if (hi - lo <= 0) {
    *scale = 1;
    *zero_point = 0;
    return;
  }
  *scale = (hi - lo) / 255.0f;
  *zero_point = static_cast<int32_t>(std::clamp(std::nearbyint(-lo / *scale), 0.0f, 255.0f));
}

}  // namespace distill::kernels
