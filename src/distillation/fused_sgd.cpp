// The fused SGD step.
#include "distill/distillation/fused_sgd.h"

#include <ATen/ATen.h>
#include <c10/util/string_utils.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/kernels/sgd_update.h"
#include "fused_step_support.h"

namespace distill::distillation {

FusedSgd::FusedSgd(std::vector<at::Tensor> parameters, torch::optim::SGDOptions options)
    : torch::optim::SGD(std::move(parameters), options) {}

at::Tensor FusedSgd::step(LossClosure closure) {
  if (closure) return torch::optim::SGD::step(std::move(closure));
  for (auto& group : param_groups_) {
    for (auto& p : group.params()) {
      if (p.grad().defined() && !fused_step_applies(p)) return torch::optim::SGD::step();
    }
  }
  at::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
    const kernels::SgdHyperparameters hyper{options.lr(), options.momentum(), options.dampening(),
                                            options.weight_decay(), options.nesterov()};
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      float* buffer = nullptr;
      bool first_step = false;
      if (hyper.momentum != 0) {
        // State keyed and typed exactly as torch::optim::SGD keeps it, so checkpoints written by
        // either optimizer load into the other.
        const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
        auto found = state_.find(key);
        if (found == state_.end()) {
          auto state = std::make_unique<torch::optim::SGDParamState>();
          state->momentum_buffer(at::empty_like(p, at::MemoryFormat::Contiguous));
          found = state_.emplace(key, std::move(state)).first;
          first_step = true;
        }
        buffer = static_cast<torch::optim::SGDParamState&>(*found->second)
                     .momentum_buffer()
                     .data_ptr<float>();
      }
      float* param = p.data_ptr<float>();
      const float* grad = p.grad().data_ptr<float>();
      for_each_fused_step_chunk(p.numel(), [&](int64_t begin, int64_t count) {
        kernels::sgd_update_f32(hyper, first_step, count, param + begin, grad + begin,
                                buffer ? buffer + begin : nullptr);
      });
    }
  }
  return {};
}

}  // namespace distill::distillation
