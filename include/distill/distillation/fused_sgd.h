// torch::optim::SGD with its update done in one pass per parameter (kernels/sgd_update.h):
// the same rule, options, state and checkpoint format, about 4× less memory traffic.
#pragma once

#include <torch/optim/sgd.h>

#include <vector>

namespace distill::distillation {

class FusedSgd : public torch::optim::SGD {
 public:
  FusedSgd(std::vector<at::Tensor> parameters, torch::optim::SGDOptions options);

  /// One step. Float32 CPU contiguous parameters take the fused kernel; any other parameter
  /// (and a closure) is handled exactly as torch::optim::SGD::step handles it.
  at::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace distill::distillation
