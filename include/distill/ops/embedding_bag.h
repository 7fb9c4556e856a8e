// The mean of each bag of rows of an embedding table, as an autograd operation: the reference is
// libtorch's embedding_bag (mode mean), the fast path a custom function whose backward writes
// the table's gradient as zeros plus each bag's share on its rows — libtorch 1.13's dense
// embedding-bag backward costs ~10× that on a 28,000-row table (bench/training_step_bench,
// BM_BagStudentDistillStep). Run according to kernels::compute_path().
#pragma once

#include <ATen/core/Tensor.h>

namespace distill::ops {

// R = table rows, E = embedding width, N = rows in all bags, B = bags.

/// pooled[b] = mean of table[rows[i]] for i in [offsets[b], offsets[b+1]) (the last bag runs to
/// N); an empty bag gives zeros. table: (R, E) float; rows: (N) int64 in [0, R); offsets: (B)
/// int64, offsets[0] = 0, ascending -> (B, E). The fast path takes a float32 CPU table.
at::Tensor embedding_bag_mean(const at::Tensor& table, const at::Tensor& rows,
                              const at::Tensor& offsets);

/// The fast path regardless of compute_path() (tests, benchmarks). Same contract.
at::Tensor fast_embedding_bag_mean(const at::Tensor& table, const at::Tensor& rows,
                                   const at::Tensor& offsets);

}  // namespace distill::ops
