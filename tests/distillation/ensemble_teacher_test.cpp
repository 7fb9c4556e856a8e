// Multi-teacher soft labels: softmax(combined / T) must be exactly the weighted mixture of the
// teachers' softened distributions, with the weights each combination defines.
#include "distill/distillation/ensemble_teacher.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

/// A teacher whose logits are fixed (B, K).
class FixedTeacher : public TeacherLogitSource {
 public:
  explicit FixedTeacher(at::Tensor logits) : logits_(std::move(logits)) {}
  at::Tensor logits(const data::Batch&) override { return logits_; }
  int64_t num_classes() const override { return logits_.size(1); }

 private:
  at::Tensor logits_;
};

const at::Tensor kA = at::tensor({4.0f, 0.0f, 0.0f, 0.5f, 0.4f, 0.3f}).view({2, 3});
const at::Tensor kB = at::tensor({0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 6.0f}).view({2, 3});

std::vector<std::shared_ptr<TeacherLogitSource>> two_teachers() {
  return {std::make_shared<FixedTeacher>(kA), std::make_shared<FixedTeacher>(kB)};
}

at::Tensor soft(const at::Tensor& z, double t) { return at::softmax(z / t, 1); }

TEST(EnsembleTeacher, AverageIsTheMeanOfSoftenedDistributions) {
  EnsembleTeacher ensemble(two_teachers(), TeacherCombination::kAverage, {}, 2.0);
  const at::Tensor combined = ensemble.logits(data::Batch{});
  EXPECT_TENSOR_CLOSE(soft(combined, 2.0), (soft(kA, 2.0) + soft(kB, 2.0)) / 2, 1e-6);
  EXPECT_EQ(ensemble.describe(), "2 teachers, average");
}

TEST(EnsembleTeacher, FixedWeightsAreNormalised) {
  EnsembleTeacher ensemble(two_teachers(), TeacherCombination::kWeights, {3.0, 1.0}, 1.0);
  EXPECT_TENSOR_CLOSE(soft(ensemble.logits(data::Batch{}), 1.0),
                      0.75 * soft(kA, 1.0) + 0.25 * soft(kB, 1.0), 1e-6);
  // A teacher of weight 0 does not count; one teacher alone gives its own distribution.
  EnsembleTeacher only_b(two_teachers(), TeacherCombination::kWeights, {0.0, 2.0}, 1.0);
  EXPECT_TENSOR_CLOSE(soft(only_b.logits(data::Batch{}), 1.0), soft(kB, 1.0), 1e-6);
}

TEST(EnsembleTeacher, ConfidenceWeighsEachSampleByTheTeachersTopProbability) {
  EnsembleTeacher ensemble(two_teachers(), TeacherCombination::kConfidence, {}, 1.0);
  const at::Tensor qa = soft(kA, 1.0), qb = soft(kB, 1.0);
  const at::Tensor ca = std::get<0>(qa.max(1, true)), cb = std::get<0>(qb.max(1, true));
  const at::Tensor expected = (ca * qa + cb * qb) / (ca + cb);
  EXPECT_TENSOR_CLOSE(soft(ensemble.logits(data::Batch{}), 1.0), expected, 1e-6);
  // Sample 0: A is sure (class 0); sample 1: B is sure (class 2). The mixture follows each.
  EXPECT_TRUE(ensemble.logits(data::Batch{}).argmax(1).equal(at::tensor({0, 2}, at::kLong)));
}

TEST(EnsembleTeacher, RefusesMismatchedClassesAndWeightCounts) {
  auto three_classes = std::make_shared<FixedTeacher>(kA);
  auto four_classes = std::make_shared<FixedTeacher>(at::zeros({2, 4}));
  EXPECT_THROW(EnsembleTeacher({three_classes, four_classes}, TeacherCombination::kAverage, {}, 1),
               Error);
  EXPECT_THROW(EnsembleTeacher(two_teachers(), TeacherCombination::kWeights, {1.0}, 1), Error);
  EXPECT_THROW(EnsembleTeacher(two_teachers(), TeacherCombination::kWeights, {0.0, 0.0}, 1), Error);
  EXPECT_THROW(EnsembleTeacher({}, TeacherCombination::kAverage, {}, 1), Error);
}

}  // namespace
}  // namespace distill::distillation
