// Shared by the fused optimizers' tests: identical copies of parameters, steps on gradients a
// function gives, and an optimizer's state moved into another as a checkpoint carries it.
#pragma once

#include <ATen/ATen.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <functional>
#include <sstream>
#include <vector>

namespace distill::testing {

inline std::vector<at::Tensor> copy_parameters(const std::vector<at::Tensor>& parameters) {
  std::vector<at::Tensor> copies;
  for (const auto& p : parameters) copies.push_back(p.detach().clone().requires_grad_(true));
  return copies;
}

/// Sets every parameter's gradient for a step (from the parameter and the step number).
using GradientRule = std::function<at::Tensor(const at::Tensor& parameter, int step)>;

/// Steps `first` .. first + count − 1, each on the gradients `rule` gives.
inline void run_steps(torch::optim::Optimizer& optimizer, std::vector<at::Tensor>& parameters,
                      int first, int count, const GradientRule& rule) {
  for (int step = first; step < first + count; ++step) {
    for (auto& p : parameters) p.mutable_grad() = rule(p.detach(), step).contiguous();
    optimizer.step();
  }
}

/// `from`'s state serialized as a checkpoint carries it and loaded into `into`.
inline void transfer_state(torch::optim::Optimizer& from, torch::optim::Optimizer& into) {
  torch::serialize::OutputArchive out;
  from.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  std::istringstream in_bytes(bytes.str());
  torch::serialize::InputArchive in;
  in.load_from(in_bytes);
  into.load(in);
}

}  // namespace distill::testing
