// Whole batches per rank, gathered.
#include "distill/distributed/sharded_rows.h"

#include <ATen/ATen.h>

#include <vector>

#include "distill/core/error.h"

namespace distill::distributed {
namespace {

Shard batch_shard_of(int64_t rows, int64_t batch_size, int rank, int size) {
  const int64_t batches = (rows + batch_size - 1) / batch_size;
  const Shard of_batches = shard_of(batches, rank, size);
  return {std::min(rows, of_batches.begin * batch_size), std::min(rows, of_batches.end * batch_size)};
}

}  // namespace

Shard batch_shard(const Communicator* group, int64_t rows, int64_t batch_size) {
  DISTILL_CHECK(rows >= 0 && batch_size >= 1, "batch_shard: ", rows, " rows in batches of ",
                batch_size, " (expected rows >= 0, batch size >= 1)");
  if (group == nullptr) return {0, rows};
  return batch_shard_of(rows, batch_size, group->rank(), group->size());
}

at::Tensor compute_sharded_rows(Communicator* group, int64_t rows, int64_t batch_size,
                                int64_t width,
                                const std::function<at::Tensor(const Shard&)>& compute) {
  const Shard mine = batch_shard(group, rows, batch_size);
  // A rank with no whole batch (fewer batches than ranks) computes nothing and sends no rows.
  at::Tensor local = at::empty({0, width}, at::kFloat);
  if (mine.size() > 0) {
    local = compute(mine);
    DISTILL_CHECK(local.defined() && local.dim() == 2 && local.size(0) == mine.size() &&
                      local.size(1) == width && local.scalar_type() == at::kFloat,
                  "a sharded computation must return (", mine.size(), ", ", width,
                  ") float32; it returned ", local.defined() ? local.sizes() : at::IntArrayRef{});
  }
  if (group == nullptr || group->size() == 1) return local;
  std::vector<int64_t> counts;
  for (int r = 0; r < group->size(); ++r)
    counts.push_back(batch_shard_of(rows, batch_size, r, group->size()).size());
  return group->all_gather_rows(local, counts);
}

}  // namespace distill::distributed
