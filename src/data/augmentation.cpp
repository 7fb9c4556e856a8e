// Shifts by pad-and-crop per sample; flips by a per-sample mask.
#include "distill/data/augmentation.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::data {

at::Tensor augment_images(const at::Tensor& images, const AugmentationOptions& options,
                          const std::vector<float>& fill, at::Generator& generator) {
  if (!options.enabled()) return images;
  DISTILL_CHECK(images.dim() == 4, "image augmentation needs (B, C, H, W) inputs, got ",
                images.sizes(), "; turn augmentation off for tabular data");
  const int64_t batch = images.size(0), channels = images.size(1);
  const int64_t height = images.size(2), width = images.size(3);
  DISTILL_CHECK(fill.empty() || static_cast<int64_t>(fill.size()) == channels, "augmentation has ",
                fill.size(), " fill values for ", channels, " channels");
  at::Tensor out = images;

  if (options.max_shift > 0) {
    const int64_t s = options.max_shift;
    DISTILL_CHECK(s < height && s < width, "augmentation shift ", s, " is too large for ", height,
                  "x", width, " images");
    at::Tensor padded = at::empty({batch, channels, height + 2 * s, width + 2 * s}, images.options());
    for (int64_t c = 0; c < channels; ++c) padded.select(1, c).fill_(fill.empty() ? 0.0f : fill[c]);
    padded.narrow(2, s, height).narrow(3, s, width).copy_(images);
    const at::Tensor offsets = at::randint(0, 2 * s + 1, {batch, 2}, generator, at::kLong);
    const auto offset = offsets.accessor<int64_t, 2>();
    out = at::empty_like(images);
    for (int64_t b = 0; b < batch; ++b) {
      out[b].copy_(padded[b].narrow(1, offset[b][0], height).narrow(2, offset[b][1], width));
    }
  }

  if (options.horizontal_flip) {
    const at::Tensor flip = at::rand({batch}, generator) < 0.5;
    out = at::where(flip.view({batch, 1, 1, 1}), out.flip({3}), out);
  }
  return out;
}

}  // namespace distill::data
