// Seeded epoch orders and batch gathering.
#include "distill/data/batching.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "distill/core/error.h"

namespace distill::data {

uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

at::Tensor epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle) {
  DISTILL_CHECK(size > 0, "cannot order an empty dataset");
  if (!shuffle) return at::arange(size, at::kLong);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, epoch));
  return at::randperm(size, generator, at::kLong);
}

int64_t batch_count(int64_t size, int64_t batch_size) {
  DISTILL_CHECK(batch_size > 0, "batch_size must be > 0, got ", batch_size);
  return (size + batch_size - 1) / batch_size;
}

Batch gather_batch(const Dataset& dataset, const at::Tensor& order, int64_t batch,
                   int64_t batch_size) {
  const int64_t start = batch * batch_size;
  DISTILL_CHECK(start >= 0 && start < order.size(0), "batch ", batch, " of size ", batch_size,
                " starts past the end of ", order.size(0), " samples");
  const int64_t length = std::min(batch_size, order.size(0) - start);
  Batch out;
  out.indices = order.narrow(0, start, length);
  out.inputs = dataset.features.index_select(0, out.indices);
  out.labels = dataset.labels.index_select(0, out.indices);
  return out;
}

}  // namespace distill::data
