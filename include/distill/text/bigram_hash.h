// The bucket of an adjacent-token bigram in a bag-of-embeddings model's hashed bigram table. One
// definition for training (libtorch) and the int8 runtime, so both index the same rows.
#pragma once

#include <cstdint>

#include "distill/core/error.h"

namespace distill::text {

/// The 64-bit hash of the bigram (first, second) of token ids.
inline uint64_t bigram_hash(int64_t first, int64_t second) {
  uint64_t h = static_cast<uint64_t>(first) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(second);
  h ^= h >> 31;  // splitmix64's finaliser: every input bit moves every output bit
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

/// A bucket in [0, buckets) for the bigram (first, second) of token ids; buckets > 0.
inline int64_t bigram_bucket(int64_t first, int64_t second, int64_t buckets) {
  return static_cast<int64_t>(bigram_hash(first, second) % static_cast<uint64_t>(buckets));
}

/// bigram_bucket for one bucket count, without a 64-bit division per bigram (tens of cycles,
/// a large share of the int8 bag's time per text): the remainder through a multiply by the
/// precomputed ⌊(2^64 − 1) / buckets⌋, which gives the quotient or up to 2 less, then at most
/// two corrections — the same buckets exactly (tests/text/bigram_hash_test.cpp).
class BigramBuckets {
 public:
  /// buckets > 0; throws distill::Error otherwise.
  explicit BigramBuckets(int64_t buckets)
      : buckets_(checked(buckets)), reciprocal_(~0ull / buckets_) {}

  int64_t operator()(int64_t first, int64_t second) const {
    const uint64_t h = bigram_hash(first, second);
#if defined(__SIZEOF_INT128__)
    const uint64_t quotient =
        static_cast<uint64_t>((static_cast<unsigned __int128>(h) * reciprocal_) >> 64);
    uint64_t remainder = h - quotient * buckets_;
    if (remainder >= buckets_) remainder -= buckets_;
    if (remainder >= buckets_) remainder -= buckets_;
    return static_cast<int64_t>(remainder);
#else
    return static_cast<int64_t>(h % buckets_);
#endif
  }

 private:
  static uint64_t checked(int64_t buckets) {
    DISTILL_CHECK(buckets > 0, "bigram bucket count must be > 0, got ", buckets);
    return static_cast<uint64_t>(buckets);
  }

  uint64_t buckets_;
  uint64_t reciprocal_;
};

/// Whether a bag of embeddings counts the token: not padding, <cls> or <mask> (a masked token
/// counts as a deleted one). <unk> counts: it is a word the vocabulary does not know.
inline bool bag_counts_token(int64_t id) { return id != 0 && id != 2 && id != 3; }

}  // namespace distill::text
