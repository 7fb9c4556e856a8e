// Float to uint8 quantization: the scalar reference and an AVX-512 version (chosen at run time
// when the CPU has it), held together by tests/kernels/quantize_test.cpp.
#pragma once

#include <cstdint>

namespace distill::kernels {

/// q = clamp(round_half_even(x · (1/scale) + zero_point), 0, 255); NaN becomes 0.
void quantize_to_uint8(const float* x, int64_t count, float scale, int32_t zero_point, uint8_t* q);

/// The scalar reference of quantize_to_uint8.
void reference_quantize_to_uint8(const float* x, int64_t count, float scale, int32_t zero_point,
                                 uint8_t* q);

/// The scale and zero point that map [min(lo, 0), max(hi, 0)] onto 0..255 (zero exactly
/// representable, as padding and ReLU need); a zero-width range gets scale 1.
void uint8_range_parameters(float lo, float hi, float* scale, int32_t* zero_point);

}  // namespace distill::kernels
