// Teacher logits computed once per (teacher, dataset) and reused across epochs and runs, so
// distillation does not pay for a teacher forward pass on every batch of every epoch.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "distill/data/dataset.h"
#include "distill/distillation/objective.h"
#include "distill/models/classifier.h"

namespace distill::distributed {
class Communicator;
}

namespace distill::distillation {

// N = samples, K = classes, B = batch.

/// A 64-bit fingerprint of everything that determines the teacher's logits on a dataset: the
/// teacher's architecture, every weight and buffer, and the (already normalised) inputs.
std::string soft_label_key(models::Classifier& teacher, const data::Dataset& dataset);

/// The teacher's logits for every sample of a dataset, stored as float16 (logits, not
/// probabilities, so any temperature applies later). float16 keeps ~3 significant digits: a
/// logit of magnitude 10 is off by at most 0.004, which changes softmax(z/T) by < 0.4% for T >= 1.
class SoftLabelCache {
 public:
  /// Computes the logits (batched, eval mode, no gradient). With a group every rank computes
  /// whole batches of its share (distributed/sharded_rows.h) and all receive every row: bit for
  /// bit one process's cache at the same threads per process.
  static SoftLabelCache compute(models::Classifier& teacher, const data::Dataset& dataset,
                                int64_t batch_size, bool show_progress = false,
                                distributed::Communicator* group = nullptr);
  /// The cache file for `key` under `directory` when it exists and matches, else computes and
  /// writes it (atomically). `reused` tells which happened. With a group the file is reused only
  /// when every rank can read it (else all compute it together); rank 0 alone writes.
  static SoftLabelCache load_or_compute(const std::filesystem::path& directory,
                                        models::Classifier& teacher, const data::Dataset& dataset,
                                        int64_t batch_size, bool* reused = nullptr,
                                        bool show_progress = false,
                                        distributed::Communicator* group = nullptr);

  void save(const std::filesystem::path& path) const;
  /// Throws distill::Error for an unreadable file or one whose key is not `expected_key`.
  static SoftLabelCache load(const std::filesystem::path& path, const std::string& expected_key);

  const std::string& key() const { return key_; }
  const at::Tensor& logits() const { return logits_; }  // (N, K) float16
  /// indices: (B) int64 -> (B, K) float32
  at::Tensor lookup(const at::Tensor& indices) const;

 private:
  std::string key_;
  at::Tensor logits_;
};

/// Teacher logits looked up in a cache by the batch's sample indices. Exact only when the
/// student sees the dataset's samples unchanged (no random augmentation); the pipeline uses a
/// LiveTeacher otherwise.
class CachedTeacher : public TeacherLogitSource {
 public:
  explicit CachedTeacher(SoftLabelCache cache);
  at::Tensor logits(const data::Batch& batch) override;
  int64_t num_classes() const override;
  std::string engine() const override { return kSoftLabelCacheEngine; }

 private:
  SoftLabelCache cache_;
};

}  // namespace distill::distillation
