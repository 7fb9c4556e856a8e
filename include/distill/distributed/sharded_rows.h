// Inference spread over the ranks: the teacher's soft labels and every evaluation pass. Rows are
// handed out in whole batches, so every row is computed in the very batch one process would put
// it in — at the same threads per process the gathered result is one process's, bit for bit.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "distill/distributed/communicator.h"

namespace distill::distributed {

/// The rows this process computes of `rows` cut into batches of `batch_size`: a contiguous run of
/// whole batches, rank r taking batches [B·r/W, B·(r+1)/W) of B. All rows without a group.
Shard batch_shard(const Communicator* group, int64_t rows, int64_t batch_size);

/// Runs `compute` on this process's batch_shard — (shard rows, width) float32, one result row per
/// row; not called for an empty shard — and returns all ranks' results (rows, width) in row
/// order, on every rank. Without a group, or in a world of one, it is `compute` over all rows.
at::Tensor compute_sharded_rows(Communicator* group, int64_t rows, int64_t batch_size,
                                int64_t width,
                                const std::function<at::Tensor(const Shard&)>& compute);

}  // namespace distill::distributed
