// The teacher-free virtual teacher: softmax(logits / T) is exactly the hand-made distribution.
#include "distill/distillation/virtual_teacher.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "tensor_assertions.h"

namespace distill::distillation {
namespace {

TEST(VirtualTeacher, SoftLabelsPutTheConfidenceOnTheTrueClass) {
  VirtualTeacher teacher(4, 0.7, 3.0);
  const data::Batch batch{at::zeros({2, 5}), at::tensor({2, 0}, at::kLong), at::arange(2)};
  const at::Tensor expected =
      at::tensor({0.1f, 0.1f, 0.7f, 0.1f, 0.7f, 0.1f, 0.1f, 0.1f}).view({2, 4});
  EXPECT_TENSOR_CLOSE(at::softmax(teacher.logits(batch) / 3.0, 1), expected, 1e-6);
  EXPECT_EQ(teacher.num_classes(), 4);
}

TEST(VirtualTeacher, ConfidenceMustKeepTheTrueClassMostLikely) {
  EXPECT_THROW(VirtualTeacher(4, 0.25, 1.0), Error);  // = 1/K: uniform
  EXPECT_THROW(VirtualTeacher(4, 1.0, 1.0), Error);   // one-hot: log(0)
  EXPECT_THROW(VirtualTeacher(1, 0.9, 1.0), Error);
  EXPECT_THROW(VirtualTeacher(4, 0.9, 0.0), Error);
}

}  // namespace
}  // namespace distill::distillation
