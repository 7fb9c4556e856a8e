// The counter-based dropout mask: drop rate, scaling, independence of neighbours, determinism,
// and a result that does not depend on how the buffer is split into chunks (threads).
#include "distill/kernels/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

constexpr int64_t kCount = 1 << 20;

TEST(Dropout, DropRateMatchesTheProbabilityWithinFiveSigma) {
  for (const float p : {0.1f, 0.2f, 0.5f, 0.9f}) {
    const DropoutMask mask{12345, p};
    int64_t dropped = 0;
    for (int64_t i = 0; i < kCount; ++i) dropped += !dropout_keeps(mask, static_cast<uint64_t>(i));
    const double sigma = std::sqrt(kCount * p * (1.0 - p));
    EXPECT_NEAR(static_cast<double>(dropped), kCount * p, 5 * sigma) << "p = " << p;
  }
}

TEST(Dropout, NeighboursAndSeedsAreIndependent) {
  // P(keep i and keep i+1) = (1-p)² for independent bits; likewise across two seeds.
  const DropoutMask a{1, 0.5f}, b{2, 0.5f};
  int64_t both_neighbours = 0, both_seeds = 0;
  for (int64_t i = 0; i < kCount; ++i) {
    const bool keep = dropout_keeps(a, static_cast<uint64_t>(i));
    both_neighbours += keep && dropout_keeps(a, static_cast<uint64_t>(i + 1));
    both_seeds += keep && dropout_keeps(b, static_cast<uint64_t>(i));
  }
  const double sigma = std::sqrt(kCount * 0.25 * 0.75);
  EXPECT_NEAR(static_cast<double>(both_neighbours), kCount * 0.25, 5 * sigma);
  EXPECT_NEAR(static_cast<double>(both_seeds), kCount * 0.25, 5 * sigma);
}

TEST(Dropout, KeptValuesAreScaledAndTheMaskMatchesDropoutKeeps) {
  const DropoutMask mask{99, 0.2f};
  std::vector<float> in(1000), out(1000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) + 1;
  apply_dropout_f32(mask, 0, 1000, in.data(), out.data());
  for (size_t i = 0; i < in.size(); ++i) {
    const float expected = dropout_keeps(mask, i) ? in[i] / 0.8f : 0.0f;
    ASSERT_FLOAT_EQ(out[i], expected) << "element " << i;
  }
}

TEST(Dropout, ChunkedApplicationEqualsWholeApplication) {
  const DropoutMask mask{7, 0.3f};
  std::vector<float> in(10007, 1.0f), whole(in.size()), chunked(in.size());
  apply_dropout_f32(mask, 0, static_cast<int64_t>(in.size()), in.data(), whole.data());
  for (size_t begin = 0; begin < in.size(); begin += 1000) {
    const size_t count = std::min<size_t>(1000, in.size() - begin);
    apply_dropout_f32(mask, begin, static_cast<int64_t>(count), in.data() + begin,
                      chunked.data() + begin);
  }
  EXPECT_EQ(whole, chunked);
}

TEST(Dropout, IndicesBeyondThirtyTwoBitsGiveFreshBits) {
  // Elements 2^32 apart must not repeat the mask (the index's high half enters the hash).
  const DropoutMask mask{5, 0.5f};
  int64_t same = 0;
  for (uint64_t i = 0; i < 10000; ++i)
    same += dropout_keeps(mask, i) == dropout_keeps(mask, i + (uint64_t{1} << 32));
  EXPECT_NEAR(static_cast<double>(same), 5000.0, 5 * std::sqrt(2500.0));
}

TEST(Dropout, ProbabilityOutOfRangeIsRejected) {
  float x = 1;
  EXPECT_THROW(apply_dropout_f32({1, 1.0f}, 0, 1, &x, &x), Error);
  EXPECT_THROW(apply_dropout_f32({1, -0.1f}, 0, 1, &x, &x), Error);
}

}  // namespace
}  // namespace distill::kernels
