// Checked loading of module state.
#include "distill/models/module_state.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <sstream>

#include "distill/core/error.h"

namespace distill::models {
namespace {

std::string describe(const at::Tensor& t) {
  std::ostringstream out;
  out << t.scalar_type() << ' ' << t.sizes();
  return out.str();
}

}  // namespace

std::vector<at::Tensor> module_state(const torch::nn::Module& module) {
  std::vector<at::Tensor> state;
  for (const auto& p : module.parameters()) state.push_back(p);
  for (const auto& b : module.buffers()) state.push_back(b);
  return state;
}

void check_same_layout(const std::vector<at::Tensor>& expected,
                       const std::vector<at::Tensor>& found, const std::string& source,
                       const std::string& what) {
  DISTILL_CHECK(expected.size() == found.size(), "'", source, "': ", what, " holds ", found.size(),
                " tensors, expected ", expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    DISTILL_CHECK(found[i].defined() && found[i].sizes() == expected[i].sizes() &&
                      found[i].scalar_type() == expected[i].scalar_type(),
                  "'", source, "': ", what, " tensor ", i, " is ",
                  found[i].defined() ? describe(found[i]) : std::string("undefined"),
                  ", expected ", describe(expected[i]));
  }
}

std::vector<std::pair<std::string, at::Tensor>> named_module_state(const torch::nn::Module& module,
                                                                   const std::string& prefix) {
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    state.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true))
    state.emplace_back(prefix + b.key(), b.value());
  return state;
}

void load_named_state(torch::nn::Module& module, const TensorFile& file, const std::string& prefix,
                      const std::string& source) {
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : named_module_state(module, prefix)) {
    DISTILL_CHECK(file.has(name), "'", source, "' lacks tensor '", name, "' of ",
                  describe(target));
    const at::Tensor& stored = file.get(name, source);
    DISTILL_CHECK(stored.sizes() == target.sizes() && stored.scalar_type() == target.scalar_type(),
                  "'", source, "': tensor '", name, "' is ", describe(stored), ", expected ",
                  describe(target));
    target.copy_(stored);
  }
}

}  // namespace distill::models
