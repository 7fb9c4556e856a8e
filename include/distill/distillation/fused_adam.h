// torch::optim::Adam and AdamW with their update done in one pass per parameter
// (kernels/adam_update.h): the same rule, options, state and checkpoint format, a fraction of the
// memory traffic.
#pragma once

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

#include <vector>

namespace distill::distillation {

class FusedAdam : public torch::optim::Adam {
 public:
  FusedAdam(std::vector<at::Tensor> parameters, torch::optim::AdamOptions options);

  /// One step. Float32 CPU contiguous parameters with dense gradients take the fused kernel; any
  /// other parameter (and a closure) is handled exactly as torch::optim::Adam::step handles it.
  at::Tensor step(LossClosure closure = nullptr) override;
};

class FusedAdamW : public torch::optim::AdamW {
 public:
  FusedAdamW(std::vector<at::Tensor> parameters, torch::optim::AdamWOptions options);

  /// As FusedAdam::step, with torch::optim::AdamW's decoupled weight decay.
  at::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace distill::distillation
