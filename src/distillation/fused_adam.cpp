// The fused Adam and AdamW steps: one loop over both optimizers, whose options and state differ
// only in their types.
#include "distill/distillation/fused_adam.h"

#include <ATen/ATen.h>
#include <c10/util/string_utils.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <memory>
#include <string>
#include <tuple>

#include "distill/kernels/adam_update.h"
#include "fused_step_support.h"

namespace distill::distillation {
namespace {

using StateMap =
    ska::flat_hash_map<std::string, std::unique_ptr<torch::optim::OptimizerParamState>>;

bool buffer_fits(const at::Tensor& buffer, const at::Tensor& p) {
  return !buffer.defined() || (buffer.scalar_type() == at::kFloat && buffer.is_contiguous() &&
                               buffer.numel() == p.numel() && buffer.device().is_cpu());
}

/// Whether every parameter with a gradient, and its state so far (a checkpoint may have brought
/// it), can take the fused kernel.
template <typename State>
bool all_fused(const std::vector<torch::optim::OptimizerParamGroup>& groups, const StateMap& states) {
  for (const auto& group : groups)
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (!fused_step_applies(p)) return false;
      const auto found = states.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (found == states.end()) continue;
      const auto& state = static_cast<const State&>(*found->second);
      if (!buffer_fits(state.exp_avg(), p) || !buffer_fits(state.exp_avg_sq(), p) ||
          !buffer_fits(state.max_exp_avg_sq(), p))
        return false;
    }
  return true;
}

/// One step of Adam (Options = AdamOptions, State = AdamParamState) or AdamW, with the state
/// keyed, created and typed exactly as libtorch's optimizer keeps it, so checkpoints written by
/// either load into the other.
template <typename Options, typename State>
void fused_step(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& states,
                bool decoupled_weight_decay) {
  at::NoGradGuard no_grad;
  for (auto& group : groups) {
    const auto& options = static_cast<const Options&>(group.options());
    kernels::AdamHyperparameters hyper;
    hyper.learning_rate = options.lr();
    hyper.beta1 = std::get<0>(options.betas());
    hyper.beta2 = std::get<1>(options.betas());
    hyper.eps = options.eps();
    hyper.weight_decay = options.weight_decay();
    hyper.decoupled_weight_decay = decoupled_weight_decay;
    hyper.amsgrad = options.amsgrad();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto found = states.find(key);
      if (found == states.end()) {
        auto state = std::make_unique<State>();
        state->step(0);
        state->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        state->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        if (hyper.amsgrad) state->max_exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        found = states.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<State&>(*found->second);
      state.step(state.step() + 1);
      float* param = p.data_ptr<float>();
      const float* grad = p.grad().data_ptr<float>();
      float* exp_avg = state.exp_avg().template data_ptr<float>();
      float* exp_avg_sq = state.exp_avg_sq().template data_ptr<float>();
      float* max_exp_avg_sq =
          hyper.amsgrad ? state.max_exp_avg_sq().template data_ptr<float>() : nullptr;
      const int64_t step = state.step();
      for_each_fused_step_chunk(p.numel(), [&](int64_t begin, int64_t count) {
        kernels::adam_update_f32(hyper, step, count, param + begin, grad + begin, exp_avg + begin,
                                 exp_avg_sq + begin,
                                 max_exp_avg_sq ? max_exp_avg_sq + begin : nullptr);
      });
    }
  }
}

}  // namespace

FusedAdam::FusedAdam(std::vector<at::Tensor> parameters, torch::optim::AdamOptions options)
    : torch::optim::Adam(std::move(parameters), options) {}

at::Tensor FusedAdam::step(LossClosure closure) {
  if (closure || !all_fused<torch::optim::AdamParamState>(param_groups_, state_))
    return torch::optim::Adam::step(std::move(closure));
  fused_step<torch::optim::AdamOptions, torch::optim::AdamParamState>(param_groups_, state_,
                                                                     false);
  return {};
}

FusedAdamW::FusedAdamW(std::vector<at::Tensor> parameters, torch::optim::AdamWOptions options)
    : torch::optim::AdamW(std::move(parameters), options) {}

at::Tensor FusedAdamW::step(LossClosure closure) {
  if (closure || !all_fused<torch::optim::AdamWParamState>(param_groups_, state_))
    return torch::optim::AdamW::step(std::move(closure));
  fused_step<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(param_groups_, state_,
                                                                       true);
  return {};
}

}  // namespace distill::distillation
