// Batched no-grad inference.
#include "distill/models/predict.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <vector>

#include "distill/core/error.h"

namespace distill::models {

int64_t inference_rows_per_pass(const at::Tensor& features, int64_t batch_size) {
  DISTILL_CHECK(batch_size > 0, "inference batch size must be > 0, got ", batch_size);
  const bool token_ids = features.scalar_type() == at::kLong && features.dim() == 2;
  if (!token_ids || features.size(1) == 0) return batch_size;
  return std::clamp<int64_t>(kInferenceTokensPerPass / features.size(1), 1, batch_size);
}

at::Tensor predict_logits(Classifier& model, const at::Tensor& features, int64_t batch_size,
                          ProgressBar* progress) {
  const int64_t rows_per_pass = inference_rows_per_pass(features, batch_size);
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> chunks;
  int64_t batches = 0;
  for (int64_t start = 0; start < features.size(0); start += batch_size) {
    const int64_t end = std::min(start + batch_size, features.size(0));
    for (int64_t pass = start; pass < end; pass += rows_per_pass)
      chunks.push_back(model.forward(features.narrow(0, pass, std::min(rows_per_pass, end - pass))));
    if (progress) progress->update(++batches);
  }
  model.train(was_training);
  return at::cat(chunks, 0);
}

}  // namespace distill::models
