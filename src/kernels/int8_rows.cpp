// Sums of scaled int8 rows: scalar reference, AVX-512 fast path.
//
// The reference adds one row at a time into the sum in memory. The AVX-512 path keeps up to 128
// columns of the sum in eight registers while it walks the rows, widening 16 codes at a time to
// int32, converting them to float (exact), multiplying by the row's scale and adding — the
// reference's arithmetic in its order, so the bits agree. This file is compiled with
// -ffp-contract=off so that no compiler fuses the reference's multiply and add either.
#include "distill/kernels/int8_rows.h"

#include <algorithm>

#include "cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DISTILL_HAVE_AVX512_ROWS 1
#endif

namespace distill::kernels {
namespace {

#ifdef DISTILL_HAVE_AVX512_ROWS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

constexpr int kLanes = 16;
constexpr int kRegisters = 8;  // 128 columns of the sum held at once
constexpr int64_t kPrefetchRows = 8;

/// Columns [first, first + 16·kGroups) of the sum, the last 16-column group masked by
/// `tail_mask`. The group count is a template parameter so that the loops over groups unroll and
/// the accumulators stay in registers: with a run-time count GCC kept them on the stack, and
/// every row paid a store and a reload per group (perf: ~60 % of the kernel's samples on them).
template <int kGroups>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void sum_columns_avx512(
    const int8_t* table, const float* scales, int64_t width, const int64_t* rows, int64_t count,
    int64_t first, __mmask16 tail_mask, float* sum) {
  __m512 acc[kGroups];
  for (int g = 0; g < kGroups; ++g) acc[g] = _mm512_setzero_ps();
  for (int64_t i = 0; i < count; ++i) {
    if (i + kPrefetchRows < count) {
      // The rows are scattered over a table larger than the core's L2: ask for one ahead.
      const int64_t ahead = rows[i + kPrefetchRows];
      _mm_prefetch(reinterpret_cast<const char*>(table + ahead * width + first), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(scales + ahead), _MM_HINT_T0);
    }
    const int8_t* codes = table + rows[i] * width + first;
    const __m512 scale = _mm512_set1_ps(scales[rows[i]]);
    for (int g = 0; g < kGroups; ++g) {
      const __m128i bytes =
          g + 1 < kGroups ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + g * kLanes))
                          : _mm_maskz_loadu_epi8(tail_mask, codes + g * kLanes);
      const __m512 values = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
      acc[g] = _mm512_add_ps(acc[g], _mm512_mul_ps(scale, values));
    }
  }
  for (int g = 0; g + 1 < kGroups; ++g) _mm512_storeu_ps(sum + first + g * kLanes, acc[g]);
  _mm512_mask_storeu_ps(sum + first + (kGroups - 1) * kLanes, tail_mask, acc[kGroups - 1]);
}

/// Columns [first, first + columns) of the sum, 1 <= columns <= 128.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void sum_columns_avx512(
    const int8_t* table, const float* scales, int64_t width, const int64_t* rows, int64_t count,
    int64_t first, int64_t columns, float* sum) {
  const int groups = static_cast<int>((columns + kLanes - 1) / kLanes);
  const int tail = static_cast<int>(columns - (groups - 1) * kLanes);
  const __mmask16 mask = static_cast<__mmask16>((1u << tail) - 1u);
  switch (groups) {
    case 1: return sum_columns_avx512<1>(table, scales, width, rows, count, first, mask, sum);
    case 2: return sum_columns_avx512<2>(table, scales, width, rows, count, first, mask, sum);
    case 3: return sum_columns_avx512<3>(table, scales, width, rows, count, first, mask, sum);
    case 4: return sum_columns_avx512<4>(table, scales, width, rows, count, first, mask, sum);
    case 5: return sum_columns_avx512<5>(table, scales, width, rows, count, first, mask, sum);
    case 6: return sum_columns_avx512<6>(table, scales, width, rows, count, first, mask, sum);
    case 7: return sum_columns_avx512<7>(table, scales, width, rows, count, first, mask, sum);
    default: return sum_columns_avx512<8>(table, scales, width, rows, count, first, mask, sum);
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void sum_avx512(const int8_t* table,
                                                                     const float* scales,
                                                                     int64_t width,
                                                                     const int64_t* rows,
                                                                     int64_t count, float* sum) {
  for (int64_t first = 0; first < width; first += kLanes * kRegisters)
    sum_columns_avx512(table, scales, width, rows, count, first,
                       std::min<int64_t>(kLanes * kRegisters, width - first), sum);
}

#pragma GCC diagnostic pop

#endif

}  // namespace

void reference_sum_scaled_int8_rows(const int8_t* table, const float* scales, int64_t width,
                                    const int64_t* rows, int64_t count, float* sum) {
  std::fill(sum, sum + width, 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    const int8_t* codes = table + rows[i] * width;
    const float scale = scales[rows[i]];
    for (int64_t e = 0; e < width; ++e) sum[e] += scale * static_cast<float>(codes[e]);
  }
}

void sum_scaled_int8_rows(const int8_t* table, const float* scales, int64_t width,
                          const int64_t* rows, int64_t count, float* sum) {
#ifdef DISTILL_HAVE_AVX512_ROWS
  if (width > 0 && cpu_has_avx512()) {
    sum_avx512(table, scales, width, rows, count, sum);
    return;
  }
#endif
  reference_sum_scaled_int8_rows(table, scales, width, rows, count, sum);
}

}  // namespace distill::kernels
