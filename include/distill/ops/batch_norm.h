// Batch norm of the CNN families, optionally followed by a ReLU, as the module's own forward pass
// (libtorch's, the reference) or, in training on the fast compute path, one autograd operation
// on oneDNN (kernels/batch_norm.h): statistics, normalization and the ReLU in one pass forward,
// the ReLU's mask read in the backward pass — on channels-last activations, as the fast
// convolutions leave them.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/batchnorm.h>

namespace distill::ops {

/// What follows the batch norm.
enum class BatchNormActivation { kNone, kRelu };

/// y = bn(x), or relu(bn(x)), with exactly the module's semantics: in training the batch's
/// statistics normalize and the running averages move by the module's momentum (or the
/// cumulative average when it has none) with the unbiased variance, and num_batches_tracked
/// counts the step; in evaluation the running averages normalize. x: (B, C, H, W).
/// The fast path takes a training module with affine parameters and running statistics and a
/// float32 CPU input, and returns y channels-last; anything else runs the module's forward.
at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x,
                      BatchNormActivation activation);

/// The fused oneDNN operation regardless of compute_path() (tests, benchmarks); same contract
/// (it too falls back to the module where the fast path does not apply).
at::Tensor onednn_batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x,
                             BatchNormActivation activation);

}  // namespace distill::ops
