// Metrics from logits.
#include "distill/evaluation/metrics.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"

namespace distill::evaluation {

ClassificationMetrics compute_metrics(const at::Tensor& logits, const at::Tensor& labels,
                                      int64_t num_classes,
                                      const at::Tensor& reference_predictions) {
  DISTILL_CHECK(logits.dim() == 2 && logits.size(1) == num_classes, "logits must be (N, ",
                num_classes, "), got ", logits.sizes());
  DISTILL_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "labels ", labels.sizes(),
                " do not match logits ", logits.sizes());
  DISTILL_CHECK(logits.size(0) > 0, "cannot compute metrics of zero samples");
  ClassificationMetrics m;
  m.samples = logits.size(0);
  const at::Tensor predictions = logits.argmax(1);
  m.accuracy = predictions.eq(labels).to(at::kDouble).mean().item<double>();
  m.mean_nll = at::nll_loss(at::log_softmax(logits.to(at::kDouble), 1), labels).item<double>();

  const at::Tensor pairs = (labels * num_classes + predictions).contiguous();
  const at::Tensor counts = at::bincount(pairs, {}, num_classes * num_classes).contiguous();
  const int64_t* c = counts.data_ptr<int64_t>();
  m.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
  m.per_class_accuracy.assign(num_classes, 0.0);
  m.per_class_count.assign(num_classes, 0);
  for (int64_t t = 0; t < num_classes; ++t) {
    for (int64_t p = 0; p < num_classes; ++p) {
      m.confusion[t][p] = c[t * num_classes + p];
      m.per_class_count[t] += c[t * num_classes + p];
    }
    if (m.per_class_count[t] > 0)
      m.per_class_accuracy[t] =
          static_cast<double>(m.confusion[t][t]) / static_cast<double>(m.per_class_count[t]);
  }
  m.per_class_precision.assign(num_classes, 0.0);
  m.per_class_f1.assign(num_classes, 0.0);
  int64_t classes_seen = 0;
  double f1_sum = 0;
  for (int64_t p = 0; p < num_classes; ++p) {
    int64_t predicted = 0;
    for (int64_t t = 0; t < num_classes; ++t) predicted += m.confusion[t][p];
    if (predicted > 0)
      m.per_class_precision[p] = static_cast<double>(m.confusion[p][p]) / static_cast<double>(predicted);
    const double precision = m.per_class_precision[p], recall = m.per_class_accuracy[p];
    if (precision + recall > 0) m.per_class_f1[p] = 2 * precision * recall / (precision + recall);
    if (predicted > 0 || m.per_class_count[p] > 0) {
      ++classes_seen;
      f1_sum += m.per_class_f1[p];
    }
  }
  m.macro_f1 = f1_sum / static_cast<double>(classes_seen);
  if (reference_predictions.defined()) {
    DISTILL_CHECK(reference_predictions.sizes() == predictions.sizes(), "reference predictions ",
                  reference_predictions.sizes(), " do not match ", predictions.sizes());
    m.agreement = predictions.eq(reference_predictions).to(at::kDouble).mean().item<double>();
  }
  return m;
}

}  // namespace distill::evaluation
