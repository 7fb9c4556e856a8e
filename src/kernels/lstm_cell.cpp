// The LSTM cell update: scalar reference, AVX-512 fast path.
//
// The reference calls std::exp for each of the five non-linearities of a unit; in the int8
// BiLSTM's recurrence that was over half of the time (perf: __expf and the scalar loop around
// it). The fast path runs 16 units at a time with Cephes' single-precision exponential (range
// reduction by ln 2 in two parts, a degree-5 polynomial; ~1 ulp), 2^n applied by `vscalefps`,
// which also gives 0 and ∞ where e^x underflows and overflows; arguments are clamped to
// [-104, 89] first (e^x is 0 or ∞ in float beyond), NaN passing through.
#include "distill/kernels/lstm_cell.h"

#include <cmath>

#include "cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DISTILL_HAVE_AVX512_LSTM_CELL 1
#endif

namespace distill::kernels {
namespace {

float logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }
/// tanh as 2σ(2x) − 1: libm's tanhf (through expm1f) took 73 % of the int8 recurrence's time,
/// expf a fraction of that; the two differ by ~1e-7, far below the states' 1/127 steps.
float tanh_through_logistic(float x) { return 2.0f / (1.0f + std::exp(-2.0f * x)) - 1.0f; }

#ifdef DISTILL_HAVE_AVX512_LSTM_CELL
// GCC's own intrinsics trip -Wmaybe-uninitialized; -Wpsabi notes that __m512 values cross the
// helpers below, which are always inlined into AVX-512 code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"

constexpr int kCellLanes = 16;

#define DISTILL_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

DISTILL_AVX512_TARGET inline __m512 exp_avx512(__m512 x) {
  // max/min return their second operand when either is NaN: x second, so NaN passes.
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

/// 1/d for d >= 1 (here 1 + e^x): the 14-bit estimate refined by one Newton step, r·(2 − d·r),
/// ~1 unit in the last place — a division costs several times as long on these cores. d = ∞
/// gives 0, as 1/∞ does.
DISTILL_AVX512_TARGET inline __m512 reciprocal_avx512(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  const __m512 refined = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
  // ∞·(2 − ∞·0) is NaN: keep the estimate's exact 0 there.
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, _mm512_setzero_ps(), _CMP_EQ_OQ), refined, r);
}

DISTILL_AVX512_TARGET inline __m512 logistic_avx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return reciprocal_avx512(_mm512_add_ps(one, exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

DISTILL_AVX512_TARGET inline __m512 tanh_avx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
  const __m512 e = exp_avx512(_mm512_mul_ps(_mm512_set1_ps(-2.0f), x));
  return _mm512_fmsub_ps(two, reciprocal_avx512(_mm512_add_ps(one, e)), one);
}

/// A gate's pre-activation for the lanes of `mask`: input part + recurrent part.
DISTILL_AVX512_TARGET inline __m512 gate_avx512(__mmask16 mask, const float* in, const float* rec) {
  return _mm512_add_ps(_mm512_maskz_loadu_ps(mask, in), _mm512_maskz_loadu_ps(mask, rec));
}

DISTILL_AVX512_TARGET void lstm_cell_update_avx512(const float* in, const float* rec, int64_t units,
                                                   float* h, float* c, float* saved) {
  for (int64_t u = 0; u < units; u += kCellLanes) {
    const int64_t left = units - u;
    const __mmask16 mask = left >= kCellLanes
                               ? static_cast<__mmask16>(0xFFFF)
                               : static_cast<__mmask16>((1u << static_cast<unsigned>(left)) - 1u);
    const float* a = in + u;
    const float* b = rec + u;
    const __m512 i = logistic_avx512(gate_avx512(mask, a, b));
    const __m512 f = logistic_avx512(gate_avx512(mask, a + units, b + units));
    const __m512 g = tanh_avx512(gate_avx512(mask, a + 2 * units, b + 2 * units));
    const __m512 o = logistic_avx512(gate_avx512(mask, a + 3 * units, b + 3 * units));
    const __m512 cell =
        _mm512_add_ps(_mm512_mul_ps(f, _mm512_maskz_loadu_ps(mask, c + u)), _mm512_mul_ps(i, g));
    const __m512 tanh_cell = tanh_avx512(cell);
    _mm512_mask_storeu_ps(c + u, mask, cell);
    _mm512_mask_storeu_ps(h + u, mask, _mm512_mul_ps(o, tanh_cell));
    if (saved != nullptr) {
      _mm512_mask_storeu_ps(saved + u, mask, i);
      _mm512_mask_storeu_ps(saved + units + u, mask, f);
      _mm512_mask_storeu_ps(saved + 2 * units + u, mask, g);
      _mm512_mask_storeu_ps(saved + 3 * units + u, mask, o);
      _mm512_mask_storeu_ps(saved + 4 * units + u, mask, tanh_cell);
    }
  }
}
#undef DISTILL_AVX512_TARGET
#pragma GCC diagnostic pop
#endif

}  // namespace

void reference_lstm_cell_update(const float* in, const float* rec, int64_t units, float* h,
                                float* c, float* saved) {
  for (int64_t u = 0; u < units; ++u) {
    const float i = logistic(in[u] + rec[u]);
    const float f = logistic(in[units + u] + rec[units + u]);
    const float g = tanh_through_logistic(in[2 * units + u] + rec[2 * units + u]);
    const float o = logistic(in[3 * units + u] + rec[3 * units + u]);
    c[u] = f * c[u] + i * g;
    const float tanh_cell = tanh_through_logistic(c[u]);
    h[u] = o * tanh_cell;
    if (saved != nullptr) {
      saved[u] = i;
      saved[units + u] = f;
      saved[2 * units + u] = g;
      saved[3 * units + u] = o;
      saved[4 * units + u] = tanh_cell;
    }
  }
}

void lstm_cell_update(const float* in, const float* rec, int64_t units, float* h, float* c,
                      float* saved) {
#ifdef DISTILL_HAVE_AVX512_LSTM_CELL
  if (cpu_has_avx512()) return lstm_cell_update_avx512(in, rec, units, h, c, saved);
#endif
  reference_lstm_cell_update(in, rec, units, h, c, saved);
}

void lstm_cell_backward(const float* saved, const float* c_before, const float* dh, int64_t units,
                        float* dc, float* gate_gradients) {
  const float* i = saved;
  const float* f = saved + units;
  const float* g = saved + 2 * units;
  const float* o = saved + 3 * units;
  const float* tanh_cell = saved + 4 * units;
  float* di = gate_gradients;
  float* df = gate_gradients + units;
  float* dg = gate_gradients + 2 * units;
  float* d_o = gate_gradients + 3 * units;
  // Plain loops over arrays: the compiler vectorizes them; no exponential is left to compute.
  for (int64_t u = 0; u < units; ++u) {
    const float cell = dh[u] * o[u] * (1.0f - tanh_cell[u] * tanh_cell[u]) + dc[u];
    d_o[u] = dh[u] * tanh_cell[u] * o[u] * (1.0f - o[u]);
    di[u] = cell * g[u] * i[u] * (1.0f - i[u]);
    dg[u] = cell * i[u] * (1.0f - g[u] * g[u]);
    df[u] = c_before != nullptr ? cell * c_before[u] * f[u] * (1.0f - f[u]) : 0.0f;
    dc[u] = cell * f[u];
  }
}

}  // namespace distill::kernels
