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

/// What optimizer.zero_grad() then backward() leave, without zeroing in place: libtorch 1.13's
/// zero_grad zeroes every gradient buffer and backward then adds the new gradient into it — on
/// an embedding table of millions of entries, three extra passes over memory a step. Here the
/// gradients are dropped before the pass, so each new gradient becomes the parameter's as it is,
/// and afterwards a parameter that had a gradient but was not reached gets zeros, as zero_grad
/// would have left it (the optimizer then still steps it: Adam's moments decay, weight decay
/// applies). A parameter never reached keeps no gradient either way.
class GradientReset {
 public:
  explicit GradientReset(std::vector<at::Tensor> parameters);
  /// Before the backward pass: drops the gradients, remembering which parameters had one.
  void release();
  /// After it (and after any reduction across ranks): zeros for the parameters release() found
  /// with a gradient that have none now.
  void fill_unreached();

 private:
  std::vector<at::Tensor> parameters_;
  std::vector<bool> had_gradient_;
};

const char* to_string(OptimizerKind kind);
const char* to_string(ScheduleKind kind);

}  // namespace distill::distillation
