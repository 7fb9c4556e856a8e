// Shifts move content by whole pixels and fill with the background; flips mirror.
#include "distill/data/augmentation.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace distill::data {
namespace {

TEST(Augmentation, ShiftIsAWholePixelTranslationWithBackgroundFill) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor images = at::rand({64, 1, 6, 6}) + 1.0f;  // all > 0, background -5
  AugmentationOptions options;
  options.max_shift = 2;
  const at::Tensor out = augment_images(images, options, {-5.0f}, generator);
  ASSERT_EQ(out.sizes(), images.sizes());
  for (int64_t b = 0; b < images.size(0); ++b) {
    // Find the shift that explains the output; exactly one must.
    int matches = 0;
    for (int64_t dy = -2; dy <= 2; ++dy) {
      for (int64_t dx = -2; dx <= 2; ++dx) {
        at::Tensor expected = at::full({1, 6, 6}, -5.0f);
        const int64_t y0 = std::max<int64_t>(0, dy), x0 = std::max<int64_t>(0, dx);
        const int64_t h = 6 - std::abs(dy), w = 6 - std::abs(dx);
        expected.narrow(1, y0, h).narrow(2, x0, w)
            .copy_(images[b].narrow(1, y0 - dy, h).narrow(2, x0 - dx, w));
        if (out[b].equal(expected)) ++matches;
      }
    }
    EXPECT_EQ(matches, 1) << "image " << b;
  }
}

TEST(Augmentation, FlipMirrorsAboutHalfTheImages) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor images = at::rand({400, 2, 3, 5});
  AugmentationOptions options;
  options.horizontal_flip = true;
  const at::Tensor out = augment_images(images, options, {}, generator);
  int flipped = 0;
  for (int64_t b = 0; b < images.size(0); ++b) {
    const bool same = out[b].equal(images[b]);
    const bool mirrored = out[b].equal(images[b].flip({2}));
    EXPECT_TRUE(same != mirrored) << "image " << b;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);
}

TEST(Augmentation, DisabledReturnsTheInputUnchanged) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor images = at::rand({4, 1, 3, 3});
  EXPECT_TRUE(augment_images(images, {}, {}, generator).equal(images));
}

}  // namespace
}  // namespace distill::data
