// The bucket of an adjacent-token bigram in a bag-of-embeddings model's hashed bigram table. One
// definition for training (libtorch) and the int8 runtime, so both index the same rows.
#pragma once

#include <cstdint>

namespace distill::text {

/// A bucket in [0, buckets) for the bigram (first, second) of token ids; buckets > 0.
inline int64_t bigram_bucket(int64_t first, int64_t second, int64_t buckets) {
  uint64_t h = static_cast<uint64_t>(first) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(second);
  h ^= h >> 31;  // splitmix64's finaliser: every input bit moves every output bit
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return static_cast<int64_t>(h % static_cast<uint64_t>(buckets));
}

/// Whether a bag of embeddings counts the token: not padding, <cls> or <mask> (a masked token
/// counts as a deleted one). <unk> counts: it is a word the vocabulary does not know.
inline bool bag_counts_token(int64_t id) { return id != 0 && id != 2 && id != 3; }

}  // namespace distill::text
