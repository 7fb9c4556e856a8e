// Seeded epoch orders and batch gathering.
#include "distill/data/batching.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "distill/core/error.h"
#include "distill/core/random.h"

namespace distill::data {

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
