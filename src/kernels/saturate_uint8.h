// Rounding a float in uint8 code units to its uint8 code: half to even, saturating at 0 and
// 255. Shared by the reference int8 kernels, so they round alike.
#pragma once

#include <cmath>
#include <cstdint>

namespace distill::kernels {

/// Clamping first rounds identically and vectorizes better.
inline uint8_t saturate_to_uint8(float value) {
  value = value < 0.0f ? 0.0f : value;
  value = value > 255.0f ? 255.0f : value;
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(value)));
}

}  // namespace distill::kernels
