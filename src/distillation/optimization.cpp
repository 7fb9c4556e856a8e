// Optimizer construction and learning-rate schedules.
#include "distill/distillation/optimization.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cmath>

#include "distill/core/error.h"
#include "distill/distillation/fused_adam.h"
#include "distill/distillation/fused_sgd.h"
#include "distill/kernels/compute_path.h"

namespace distill::distillation {

const char* to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd: return "sgd";
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kAdamW: return "adamw";
  }
  return "unknown";
}

const char* to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kConstant: return "constant";
    case ScheduleKind::kStep: return "step";
    case ScheduleKind::kCosine: return "cosine";
  }
  return "unknown";
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<at::Tensor> parameters,
                                                        const OptimizerOptions& options) {
  DISTILL_CHECK(options.learning_rate > 0, "learning rate must be > 0, got ", options.learning_rate);
  switch (options.kind) {
    case OptimizerKind::kSgd: {
      const auto sgd_options = torch::optim::SGDOptions(options.learning_rate)
                                   .momentum(options.momentum)
                                   .nesterov(options.nesterov)
                                   .weight_decay(options.weight_decay);
      if (kernels::compute_path() == kernels::ComputePath::kFast)
        return std::make_unique<FusedSgd>(std::move(parameters), sgd_options);
      return std::make_unique<torch::optim::SGD>(std::move(parameters), sgd_options);
    }
    case OptimizerKind::kAdam: {
      const auto adam_options =
          torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay);
      if (kernels::compute_path() == kernels::ComputePath::kFast)
        return std::make_unique<FusedAdam>(std::move(parameters), adam_options);
      return std::make_unique<torch::optim::Adam>(std::move(parameters), adam_options);
    }
    case OptimizerKind::kAdamW: {
      const auto adamw_options =
          torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay);
      if (kernels::compute_path() == kernels::ComputePath::kFast)
        return std::make_unique<FusedAdamW>(std::move(parameters), adamw_options);
      return std::make_unique<torch::optim::AdamW>(std::move(parameters), adamw_options);
    }
  }
  DISTILL_FAIL("unknown optimizer ", static_cast<int>(options.kind));
}

double scheduled_learning_rate(const ScheduleOptions& schedule, double base_rate, int64_t step,
                               int64_t steps_per_epoch, int64_t total_steps) {
  const int64_t warmup_steps = schedule.warmup_epochs * steps_per_epoch;
  if (step < warmup_steps) return base_rate * static_cast<double>(step + 1) / warmup_steps;
  switch (schedule.kind) {
    case ScheduleKind::kConstant:
      return base_rate;
    case ScheduleKind::kStep: {
      const int64_t epoch = step / steps_per_epoch;
      return base_rate * std::pow(schedule.step_gamma, static_cast<double>(epoch / schedule.step_epochs));
    }
    case ScheduleKind::kCosine: {
      const double span = static_cast<double>(std::max<int64_t>(total_steps - warmup_steps, 1));
      const double progress = static_cast<double>(step - warmup_steps) / span;
      return base_rate * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
  }
  return base_rate;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double rate) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(rate);
}

GradientReset::GradientReset(std::vector<at::Tensor> parameters)
    : parameters_(std::move(parameters)), had_gradient_(parameters_.size(), false) {}

void GradientReset::release() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor& gradient = parameters_[i].mutable_grad();
    had_gradient_[i] = gradient.defined();
    if (had_gradient_[i]) gradient.reset();
  }
}

void GradientReset::fill_unreached() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor& gradient = parameters_[i].mutable_grad();
    if (had_gradient_[i] && !gradient.defined()) gradient = at::zeros_like(parameters_[i]);
  }
}

}  // namespace distill::distillation
