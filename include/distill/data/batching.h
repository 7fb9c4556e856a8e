// Mini-batches gathered from a preloaded dataset, in a seeded per-epoch order.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "distill/data/dataset.h"

namespace distill::data {

// B = batch size.

/// One mini-batch. `indices` are the samples' positions in the dataset, so objectives can look
/// up per-sample data computed beforehand (cached teacher logits).
struct Batch {
  at::Tensor inputs;   // (B, C, H, W) or (B, F), float32
  at::Tensor labels;   // (B), int64
  at::Tensor indices;  // (B), int64
};

/// The visiting order of `size` samples in `epoch`: a permutation seeded by (seed, epoch) when
/// `shuffle`, else 0..size-1. Depends on nothing else, so a resumed run sees the same order.
at::Tensor epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle);

/// The number of batches of `batch_size` covering `size` samples (the last may be smaller).
int64_t batch_count(int64_t size, int64_t batch_size);

/// Gathers batch number `batch` of `batch_size` from `dataset` in `order`.
Batch gather_batch(const Dataset& dataset, const at::Tensor& order, int64_t batch,
                   int64_t batch_size);

}  // namespace distill::data
