// The int8 runtime as a teacher, and the drift of its soft labels from the fp32 teacher's.
#include "distill/distillation/int8_teacher.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"

namespace distill::distillation {

Int8Teacher::Int8Teacher(runtime::Int8Model model, data::Normalization normalization)
    : normalization_(std::move(normalization)),
      num_classes_(model.num_classes),
      classifier_(std::make_unique<runtime::Int8Classifier>(std::move(model),
                                                            runtime::Int8Kernels::kOneDnn)) {}

Int8Teacher::~Int8Teacher() = default;

at::Tensor Int8Teacher::logits(const data::Batch& batch) {
  const int64_t count = batch.inputs.size(0);
  const at::Tensor raw = normalization_.invert(batch.inputs.detach()).reshape({count, -1}).contiguous();
  at::Tensor out = at::empty({count, num_classes_}, at::kFloat);
  classifier_->logits(raw.data_ptr<float>(), count, out.data_ptr<float>());
  return out;
}

int64_t Int8Teacher::num_classes() const { return num_classes_; }

TeacherDrift measure_teacher_drift(TeacherLogitSource& reference, TeacherLogitSource& approximation,
                                   const data::Dataset& dataset, double temperature,
                                   int64_t batch_size) {
  DISTILL_CHECK(temperature > 0 && batch_size >= 1, "measure_teacher_drift: temperature ",
                temperature, " and batch size ", batch_size, " (expected both > 0)");
  TeacherDrift drift;
  drift.temperature = temperature;
  drift.samples = dataset.size();
  if (dataset.size() == 0) return drift;
  double kl_sum = 0, agreeing = 0;
  for (int64_t begin = 0; begin < dataset.size(); begin += batch_size) {
    const int64_t count = std::min(batch_size, dataset.size() - begin);
    const data::Batch batch{dataset.features.narrow(0, begin, count),
                            dataset.labels.narrow(0, begin, count),
                            at::arange(begin, begin + count, at::kLong)};
    const at::Tensor p = reference.logits(batch).to(at::kDouble);
    const at::Tensor q = approximation.logits(batch).to(at::kDouble);
    const at::Tensor log_p = at::log_softmax(p / temperature, 1);
    const at::Tensor log_q = at::log_softmax(q / temperature, 1);
    kl_sum += (log_p.exp() * (log_p - log_q)).sum().item<double>();
    agreeing += p.argmax(1).eq(q.argmax(1)).sum().item<double>();
  }
  drift.mean_kl = kl_sum / static_cast<double>(dataset.size());
  drift.top1_agreement = agreeing / static_cast<double>(dataset.size());
  return drift;
}

}  // namespace distill::distillation
