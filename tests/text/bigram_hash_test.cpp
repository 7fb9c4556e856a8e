// The hashed bigram buckets that a bag-of-embeddings model's training and the int8 runtime
// share: pinned values (computed independently in Python; a change would move every saved bag
// model's bigram rows), and the division-free BigramBuckets equal to bigram_bucket's remainder
// for bucket counts from 1 to 2^63 − 1.
#include "distill/text/bigram_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "distill/core/error.h"

namespace distill::text {
namespace {

TEST(BigramHash, BucketsArePinned) {
  // Python: splitmix64's finaliser of (first · 0x9E3779B97F4A7C15 mod 2^64) xor second.
  EXPECT_EQ(bigram_hash(5, 7), 0xbd4aeed0633c06bcull);
  EXPECT_EQ(bigram_bucket(5, 7, 20000), 14972);
  EXPECT_EQ(bigram_bucket(7, 5, 20000), 3976);  // order matters
  EXPECT_EQ(bigram_bucket(4, 4, 11), 8);
  EXPECT_EQ(bigram_bucket(7999, 123, 20000), 19892);
  EXPECT_EQ(bigram_bucket(0, 0, 1000003), 0);
}

TEST(BigramHash, DivisionFreeBucketsEqualTheRemainder) {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int64_t> token(0, int64_t{1} << 40);
  const int64_t max = INT64_MAX;
  for (int64_t buckets : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, int64_t{11},
                          int64_t{20000}, (int64_t{1} << 20) + 7, (int64_t{1} << 31) - 1,
                          (int64_t{1} << 32) + 15, (int64_t{1} << 62) + 3, max - 1, max}) {
    const BigramBuckets fast(buckets);
    for (int i = 0; i < 20000; ++i) {
      const int64_t first = i < 100 ? i : token(rng), second = i < 100 ? 99 - i : token(rng);
      ASSERT_EQ(fast(first, second), bigram_bucket(first, second, buckets))
          << "bigram (" << first << ", " << second << "), " << buckets << " buckets";
    }
  }
}

TEST(BigramHash, ABucketCountBelowOneIsRefused) {
  EXPECT_THROW(BigramBuckets(0), Error);
  EXPECT_THROW(BigramBuckets(-3), Error);
}

}  // namespace
}  // namespace distill::text
