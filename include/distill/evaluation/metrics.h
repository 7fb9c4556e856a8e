// Classification metrics computed from logits: accuracy, per-class accuracy, confusion matrix,
// mean negative log-likelihood and top-1 agreement with a reference model.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace distill::evaluation {

// N = samples, K = classes.

struct ClassificationMetrics {
  int64_t samples = 0;
  double accuracy = 0;
  double mean_nll = 0;  // mean of -log softmax(logits)[label], in nats
  std::vector<double> per_class_accuracy;           // (K) = recall; 0 for an absent class
  std::vector<double> per_class_precision;          // (K); 0 for a class never predicted
  std::vector<double> per_class_f1;                 // (K); 0 when precision + recall is 0
  /// The mean F1 over the classes that occur in the labels or the predictions (scikit-learn's
  /// f1_score(average="macro")): every class weighs the same, however rare.
  double macro_f1 = 0;
  std::vector<int64_t> per_class_count;             // (K) samples of each true class
  std::vector<std::vector<int64_t>> confusion;      // [true][predicted], (K, K)
  std::optional<double> agreement;                  // fraction whose top-1 matches the reference
};

/// logits: (N, K) float; labels: (N) int64; reference_predictions: undefined, or (N) int64
/// top-1 predictions of another model (the teacher) to measure agreement with.
ClassificationMetrics compute_metrics(const at::Tensor& logits, const at::Tensor& labels,
                                      int64_t num_classes,
                                      const at::Tensor& reference_predictions = at::Tensor());

}  // namespace distill::evaluation
