// The int8 teacher and the drift of its soft labels: measure_teacher_drift against closed-form KL
// values and agreements, and an int8 teacher that agrees with its fp32 model on real-looking
// inputs (restored from the normalised batch the student sees).
#include "distill/distillation/int8_teacher.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "distill/compression/int8_export.h"
#include "distill/models/classifier.h"

namespace distill::distillation {
namespace {

/// Fixed logits per sample, looked up by the batch's indices.
class FixedLogits : public TeacherLogitSource {
 public:
  explicit FixedLogits(at::Tensor logits) : logits_(std::move(logits)) {}
  at::Tensor logits(const data::Batch& batch) override { return logits_.index_select(0, batch.indices); }
  int64_t num_classes() const override { return logits_.size(1); }

 private:
  at::Tensor logits_;
};

data::Dataset two_samples() {
  data::Dataset d;
  d.features = at::zeros({2, 3});
  d.labels = at::zeros({2}, at::kLong);
  d.num_classes = 2;
  return d;
}

TEST(TeacherDrift, IsTheMeanKlOfTheSoftenedDistributionsAndTheTop1Agreement) {
  // Sample 0: p = (1/2, 1/2), q = (3/4, 1/4): KL = ½·ln(4/3); both pick class 0 (ties: first).
  // Sample 1: logits (1, 0) against (0, 1): KL = (σ(1) − σ(−1))·1; the classes differ.
  FixedLogits reference(at::tensor({0.0f, 0.0f, 1.0f, 0.0f}).view({2, 2}));
  FixedLogits approximation(at::tensor({std::log(3.0f), 0.0f, 0.0f, 1.0f}).view({2, 2}));
  const double sigma = 1.0 / (1.0 + std::exp(-1.0));
  const double expected = (0.5 * std::log(4.0 / 3.0) + (sigma - (1.0 - sigma))) / 2.0;
  for (const int64_t batch : {int64_t{1}, int64_t{1000}}) {
    const TeacherDrift drift = measure_teacher_drift(reference, approximation, two_samples(), 1.0, batch);
    EXPECT_NEAR(drift.mean_kl, expected, 1e-7);
    EXPECT_DOUBLE_EQ(drift.top1_agreement, 0.5);
    EXPECT_EQ(drift.samples, 2);
  }
  // At T = 2 sample 1's logits halve: KL = (σ(½) − σ(−½))·½; sample 0: p uniform, q ∝ (√3, 1).
  const TeacherDrift softened = measure_teacher_drift(reference, approximation, two_samples(), 2.0);
  const double s = 1.0 / (1.0 + std::exp(-0.5));
  const double q0 = std::sqrt(3.0) / (std::sqrt(3.0) + 1.0);
  const double kl0 = 0.5 * std::log(0.5 / q0) + 0.5 * std::log(0.5 / (1.0 - q0));
  EXPECT_NEAR(softened.mean_kl, (kl0 + (s - (1.0 - s)) * 0.5) / 2.0, 1e-7);
  // A source against itself does not drift.
  const TeacherDrift none = measure_teacher_drift(reference, reference, two_samples(), 4.0);
  EXPECT_NEAR(none.mean_kl, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(none.top1_agreement, 1.0);
}

TEST(Int8Teacher, AgreesWithItsFp32ModelOnTheStudentsNormalisedBatches) {
  at::manual_seed(3);
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kMlp;
  spec.input_shape = {24};
  spec.hidden = {48};
  spec.num_classes = 5;
  models::ClassifierPtr model = models::build_classifier(spec, 11);
  model->eval();
  // Raw features with their own scale and offset; the student's batches are normalised.
  const at::Tensor raw = at::rand({600, 24}) * 200.0 + 20.0;
  const data::Normalization normalization = data::Normalization::fit(raw);
  const at::Tensor normalised = normalization.apply(raw);
  runtime::Int8Model int8 = compression::quantize_classifier(
      *model, normalization, raw.narrow(0, 0, 300), compression::Int8ExportOptions{});
  Int8Teacher teacher(std::move(int8), normalization);
  EXPECT_EQ(teacher.num_classes(), 5);
  data::Dataset held_out;
  held_out.features = normalised.narrow(0, 300, 300);
  held_out.labels = at::zeros({300}, at::kLong);
  held_out.num_classes = 5;
  LiveTeacher fp32(model);
  const TeacherDrift drift = measure_teacher_drift(fp32, teacher, held_out, 1.0, 128);
  EXPECT_GT(drift.top1_agreement, 0.9);
  EXPECT_LT(drift.mean_kl, 0.01);
  EXPECT_GE(drift.mean_kl, 0.0);
  // The logits themselves, batch by batch, are close to the fp32 model's.
  const data::Batch batch{held_out.features.narrow(0, 0, 64), held_out.labels.narrow(0, 0, 64),
                          at::arange(64, at::kLong)};
  const at::Tensor expected = fp32.logits(batch);
  const at::Tensor got = teacher.logits(batch);
  EXPECT_LT((got - expected).abs().max().item<double>(),
            0.1 * expected.abs().max().item<double>() + 1e-3);
}

}  // namespace
}  // namespace distill::distillation
