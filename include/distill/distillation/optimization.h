// Optimizers and learning-rate schedules, configured by TrainOptions.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace distill::distillation {

enum class OptimizerKind { kSgd, kAdam, kAdamW };
enum class ScheduleKind { kConstant, kStep, kCosine };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kSgd;
  double learning_rate = 0.05;
  double momentum = 0.9;  // SGD only
  bool nesterov = false;  // SGD only
  double weight_decay = 0.0;
};

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kCosine;
  int64_t step_epochs = 5;    // step: multiply by gamma every step_epochs
  double step_gamma = 0.1;
  int64_t warmup_epochs = 0;  // linear warm-up from 0 before the schedule proper
};

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<at::Tensor> parameters,
                                                        const OptimizerOptions& options);

/// The learning rate at `step` of `total_steps` (steps_per_epoch per epoch).
double scheduled_learning_rate(const ScheduleOptions& schedule, double base_rate, int64_t step,
                               int64_t steps_per_epoch, int64_t total_steps);

void set_learning_rate(torch::optim::Optimizer& optimizer, double rate);

const char* to_string(OptimizerKind kind);
const char* to_string(ScheduleKind kind);

}  // namespace distill::distillation
