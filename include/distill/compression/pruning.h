// Pruning: global magnitude pruning on a gradual schedule (unstructured: weights set to zero and
// kept there), and structured pruning of an MLP's hidden neurons (removed: a smaller model).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "distill/models/classifier.h"

namespace distill::compression {

/// The sparsity at `epoch` (0-based) of a gradual schedule (Zhu & Gupta 2017): zero before
/// `start_epoch`, then s·(1 − (1 − p)³) with p the fraction of the ramp done, reaching `target`
/// at `end_epoch` and staying there.
double gradual_sparsity(double target, int64_t start_epoch, int64_t end_epoch, int64_t epoch);

/// Global magnitude pruning of every weight matrix and convolution kernel of a model (not
/// biases or batch-norm): one threshold over all of them, so layers lose what matters least.
class MagnitudePruner {
 public:
  explicit MagnitudePruner(models::Classifier& model);
  /// Recomputes the masks so that a `sparsity` fraction of all prunable weights (the smallest
  /// in magnitude; pruned ones are zero, so they stay pruned) is zero, and applies them.
  void set_sparsity(double sparsity);
  /// Zeroes the pruned weights again (after an optimizer step moved them).
  void apply() const;
  /// The fraction of prunable weights that are zero now.
  double measured_sparsity() const;
  int64_t prunable_weights() const { return total_; }

 private:
  std::vector<at::Tensor> weights_;
  std::vector<at::Tensor> masks_;
  int64_t total_ = 0;
};

/// Structured pruning of an MLP: keeps the `keep_fraction` of each hidden layer's neurons with
/// the largest L2 norm of incoming weights (at least one), and returns a new, smaller MLP with
/// those neurons' weights (incoming rows, biases, outgoing columns) copied. Refuses other
/// architectures by name.
models::ClassifierPtr prune_mlp_neurons(models::Classifier& mlp, double keep_fraction);

}  // namespace distill::compression
