// Batched no-grad inference.
#include "distill/models/predict.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <vector>

#include "distill/core/error.h"

namespace distill::models {

at::Tensor predict_logits(Classifier& model, const at::Tensor& features, int64_t batch_size,
                          ProgressBar* progress) {
  DISTILL_CHECK(batch_size > 0, "inference batch size must be > 0, got ", batch_size);
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < features.size(0); start += batch_size) {
    const int64_t length = std::min(batch_size, features.size(0) - start);
    chunks.push_back(model.forward(features.narrow(0, start, length)));
    if (progress) progress->update(static_cast<int64_t>(chunks.size()));
  }
  model.train(was_training);
  return at::cat(chunks, 0);
}

}  // namespace distill::models
