// A live CNN teacher on its folded inference network: the logits of the libtorch teacher (to float
// rounding) for both families, from contiguous and channels-last batches, and a clear error for a
// batch of another shape; each teacher source names its engine, an ensemble each of its engines once.
#include "distill/distillation/folded_cnn_teacher.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "cnn_test_models.h"
#include "distill/core/error.h"
#include "distill/distillation/ensemble_teacher.h"
#include "error_assertions.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

using ::distill::testing::thrown_error;
using compression::testing::normalization;
using compression::testing::pixels;
using compression::testing::trained_looking_model;

data::Batch batch_of(const at::Tensor& inputs) {
  data::Batch batch;
  batch.inputs = inputs;
  batch.indices = at::arange(inputs.size(0), at::kLong);
  return batch;
}

class FoldedCnnTeacherTest : public ::testing::TestWithParam<models::ModelKind> {};

TEST_P(FoldedCnnTeacherTest, GivesTheLibtorchTeachersLogits) {
  models::ClassifierPtr model = trained_looking_model(GetParam());
  const at::Tensor inputs = normalization().apply(pixels(33, 8));
  LiveTeacher live(model);
  FoldedCnnTeacher folded(*model);
  const at::Tensor expected = live.logits(batch_of(inputs));
  EXPECT_EQ(folded.num_classes(), 5);
  EXPECT_TENSOR_CLOSE(folded.logits(batch_of(inputs)), expected, 1e-4, 1e-4);
  // The trainer's batches may be channels-last; the logits are the same.
  EXPECT_TENSOR_CLOSE(folded.logits(batch_of(inputs.contiguous(at::MemoryFormat::ChannelsLast))),
                      expected, 1e-4, 1e-4);
  // A smaller last batch, after a larger one.
  EXPECT_TENSOR_CLOSE(folded.logits(batch_of(inputs.narrow(0, 30, 3))), expected.narrow(0, 30, 3),
                      1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Families, FoldedCnnTeacherTest,
                         ::testing::Values(models::ModelKind::kResNet, models::ModelKind::kMobileNet),
                         compression::testing::family_name);

TEST(FoldedCnnTeacher, ABatchOfAnotherShapeIsRefusedWithBothShapes) {
  models::ClassifierPtr model = trained_looking_model(models::ModelKind::kResNet);
  FoldedCnnTeacher folded(*model);
  const Error e = thrown_error([&] { folded.logits(batch_of(at::zeros({4, 1, 10, 12}))); });
  EXPECT_EQ(std::string(e.what()),
            "the folded CNN teacher takes (batch, [1, 12, 12]) inputs, got [4, 1, 10, 12]");
}

TEST(TeacherEngines, EachSourceNamesWhatComputesItsLogitsAndAnEnsembleEachOnce) {
  models::ClassifierPtr model = trained_looking_model(models::ModelKind::kResNet);
  auto live = std::make_shared<LiveTeacher>(model);
  auto folded = std::make_shared<FoldedCnnTeacher>(*model);
  EXPECT_EQ(live->engine(), "libtorch");
  EXPECT_EQ(folded->engine(), "fp32 oneDNN, batch norm folded");
  EnsembleTeacher ensemble({live, folded, live}, TeacherCombination::kAverage, {}, 2.0);
  EXPECT_EQ(ensemble.engine(), "libtorch + fp32 oneDNN, batch norm folded");
}

}  // namespace
}  // namespace distill::distillation
