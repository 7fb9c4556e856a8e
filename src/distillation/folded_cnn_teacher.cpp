// A live CNN teacher on the folded fp32 inference network.
#include "distill/distillation/folded_cnn_teacher.h"

#include <ATen/ATen.h>

#include "distill/compression/folded_cnn_inference.h"
#include "distill/core/error.h"
#include "distill/models/model_spec.h"

namespace distill::distillation {

FoldedCnnTeacher::FoldedCnnTeacher(models::Classifier& teacher)
    : input_shape_(teacher.spec().input_shape),
      inference_(compression::folded_cnn_inference(teacher)) {}

FoldedCnnTeacher::~FoldedCnnTeacher() = default;

at::Tensor FoldedCnnTeacher::logits(const data::Batch& batch) {
  const at::Tensor& inputs = batch.inputs;
  DISTILL_CHECK(inputs.dim() == 4 && inputs.sizes().slice(1) == at::IntArrayRef(input_shape_),
                "the folded CNN teacher takes (batch, ", at::IntArrayRef(input_shape_),
                ") inputs, got ", inputs.sizes());
  const int64_t count = inputs.size(0);
  // The network reads (B, C, H, W) in row-major order: a channels-last batch is laid out anew.
  const at::Tensor rows = inputs.detach().to(at::kFloat).contiguous();
  at::Tensor out = at::empty({count, inference_->num_classes()}, at::kFloat);
  inference_->logits(rows.data_ptr<float>(), count, out.data_ptr<float>());
  return out;
}

int64_t FoldedCnnTeacher::num_classes() const { return inference_->num_classes(); }

}  // namespace distill::distillation
