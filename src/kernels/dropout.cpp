// Counter-based dropout masks.
#include "distill/kernels/dropout.h"

#include "cpu_dispatch.h"

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

/// A 32-bit integer hash with full avalanche (Wellons' "lowbias32").
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/// 32 random bits for element `index`: two rounds keyed by the two halves of the seed.
inline uint32_t element_bits(uint64_t seed, uint64_t index) {
  const uint32_t low = mix32(static_cast<uint32_t>(index) ^ static_cast<uint32_t>(seed));
  return mix32(low ^ static_cast<uint32_t>(index >> 32) * 0x9e3779b9U ^
               static_cast<uint32_t>(seed >> 32));
}

/// Elements whose bits fall below the threshold are dropped.
uint32_t drop_threshold(float drop_probability) {
  return static_cast<uint32_t>(static_cast<double>(drop_probability) * 4294967296.0);
}

void validate(const DropoutMask& mask) {
  DISTILL_CHECK(mask.drop_probability >= 0 && mask.drop_probability < 1,
                "dropout probability must be in [0, 1), got ", mask.drop_probability);
}

}  // namespace

bool dropout_keeps(const DropoutMask& mask, uint64_t index) {
  validate(mask);
  return element_bits(mask.seed, index) >= drop_threshold(mask.drop_probability);
}

DISTILL_MULTIVERSIONED
void apply_dropout_f32(const DropoutMask& mask, uint64_t first, int64_t count, const float* in,
                       float* out) {
  validate(mask);
  const uint32_t threshold = drop_threshold(mask.drop_probability);
  const float scale = 1.0f / (1.0f - mask.drop_probability);
  for (int64_t i = 0; i < count; ++i) {
    const bool keep = element_bits(mask.seed, first + static_cast<uint64_t>(i)) >= threshold;
    out[i] = keep ? in[i] * scale : 0.0f;
  }
}

}  // namespace distill::kernels
