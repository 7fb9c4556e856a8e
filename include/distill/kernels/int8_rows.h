// Sums of int8 embedding rows, each with its own scale — the int8 bag-of-embeddings student's
// one operation: the scalar reference and an AVX-512 version (chosen at run time when the CPU
// has it) that gives the same bits, held together by tests/kernels/int8_rows_test.cpp.
#pragma once

#include <cstdint>

namespace distill::kernels {

/// sum[e] = Σ_i scales[r_i] · table[r_i · width + e] over r_i = rows[0 .. count), added in that
/// order, each product rounded to float before it is added (no fused multiply-add, so every path
/// gives the same bits). count 0 leaves zeros.
void sum_scaled_int8_rows(const int8_t* table, const float* scales, int64_t width,
                          const int64_t* rows, int64_t count, float* sum);

/// The scalar reference of sum_scaled_int8_rows.
void reference_sum_scaled_int8_rows(const int8_t* table, const float* scales, int64_t width,
                                    const int64_t* rows, int64_t count, float* sum);

}  // namespace distill::kernels
