// Random image augmentation for training batches: small shifts and horizontal flips.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace distill::data {

struct AugmentationOptions {
  /// Each image moves by a random whole number of pixels in [-max_shift, max_shift] along each
  /// axis; pixels shifted in take the channel's `fill` value.
  int64_t max_shift = 0;
  /// Each image is mirrored left-right with probability 1/2.
  bool horizontal_flip = false;

  bool enabled() const { return max_shift > 0 || horizontal_flip; }
};

/// Returns augmented copies of `images` (B, C, H, W). `fill` holds one value per channel (the
/// normalised value of a black pixel, so shifted-in borders look like background).
at::Tensor augment_images(const at::Tensor& images, const AugmentationOptions& options,
                          const std::vector<float>& fill, at::Generator& generator);

}  // namespace distill::data
