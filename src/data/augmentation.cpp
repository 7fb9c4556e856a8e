// Shifts by pad-and-crop, grouped by offset; flips by a per-sample mask.
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
    const int64_t span = 2 * s + 1;
    const at::Tensor offsets = at::randint(0, span * span, {batch}, generator, at::kLong);
    // One copy per distinct offset ((2s+1)^2 of them) instead of one per image.
    out = at::empty_like(images);
    for (int64_t offset = 0; offset < span * span; ++offset) {
      const at::Tensor members = offsets.eq(offset).nonzero().view({-1});
      if (members.numel() == 0) continue;
      const at::Tensor window =
          padded.index_select(0, members).narrow(2, offset / span, height).narrow(3, offset % span, width);
      out.index_copy_(0, members, window);
    }
  }

  if (options.horizontal_flip) {
    const at::Tensor flip = at::rand({batch}, generator) < 0.5;
    out = at::where(flip.view({batch, 1, 1, 1}), out.flip({3}), out);
  }
  return out;
}

}  // namespace distill::data
