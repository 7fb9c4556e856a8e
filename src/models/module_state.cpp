// Checked loading of module state.
#include "distill/models/module_state.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <sstream>

#include "distill/core/error.h"
#include "distill/core/torch_archive.h"

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

void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                         const std::string& source) {
  std::vector<at::Tensor> expected;
  for (const at::Tensor& t : module_state(module))
    expected.push_back(at::empty(t.sizes(), t.options().device(at::kMeta)));  // no data
  try {
    module.load(archive);
  } catch (const c10::Error& e) {
    DISTILL_FAIL("'", source, "': its weights do not match the model's layers: ",
                 e.what_without_backtrace());
  }
  std::vector<at::Tensor> loaded = module_state(module);
  check_same_layout(expected, loaded, source, "the weights");
  for (size_t i = 0; i < loaded.size(); ++i)
    check_tensor_storage(loaded[i], source, "weight tensor " + std::to_string(i));
  torch::NoGradGuard no_grad;
  for (at::Tensor& t : loaded)
    if (!t.is_contiguous()) t.set_(t.contiguous());
}

}  // namespace distill::models
