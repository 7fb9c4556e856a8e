// TorchScript teachers through libtorch's jit loader.
#include "distill/models/torchscript_classifier.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/serialization/import.h>

#include <algorithm>
#include <exception>
#include <string>
#include <numeric>

#include "distill/core/error.h"
#include "distill/models/model_io.h"

namespace distill::models {

struct TorchScriptClassifier::Module {
  torch::jit::Module module;
};

namespace {

/// The message of an exception from libtorch's TorchScript loader or interpreter: c10::Error
/// without its C++ backtrace, others (torch::jit::JITException, std::runtime_error) as they are.
std::string exception_message(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e))
    return c10_error->what_without_backtrace();
  return e.what();
}

/// "layer1.0.weight" -> "layer1_0_weight": nn::Module names may not contain dots.
std::string sanitized(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

}  // namespace

TorchScriptClassifier::TorchScriptClassifier(ModelSpec spec, std::unique_ptr<Module> module,
                                             bool flatten_inputs)
    : Classifier(std::move(spec)), module_(std::move(module)), flatten_inputs_(flatten_inputs) {
  for (const auto& p : module_->module.named_parameters(/*recurse=*/true))
    register_parameter(sanitized(p.name), p.value, /*requires_grad=*/false);
  for (const auto& b : module_->module.named_buffers(/*recurse=*/true))
    register_buffer(sanitized(b.name), b.value);
}

TorchScriptClassifier::~TorchScriptClassifier() = default;

at::Tensor TorchScriptClassifier::run(const at::Tensor& inputs, FeatureTaps* taps) {
  const at::Tensor x = flatten_inputs_ ? inputs.reshape({inputs.size(0), -1}) : inputs;
  at::Tensor logits;
  try {
    logits = module_->module.forward({x}).toTensor();
  } catch (const std::exception& e) {
    DISTILL_FAIL("the TorchScript teacher failed on a batch of shape ", x.sizes(), ": ",
                 exception_message(e));
  }
  if (taps) taps->record("logits", logits);
  return logits;
}

bool is_torchscript_file(const std::filesystem::path& path) {
  // A distill model file is a libtorch archive carrying distill's format key.
  return !is_distill_model_file(path);
}

ClassifierPtr load_torchscript_classifier(const std::filesystem::path& path,
                                          const std::vector<int64_t>& sample_shape) {
  const std::string source = path.string();
  auto module = std::make_unique<TorchScriptClassifier::Module>();
  try {
    module->module = torch::jit::load(source, at::kCPU);
  } catch (const std::exception& e) {
    DISTILL_FAIL("'", source, "' is neither a distill model file nor a TorchScript module: ",
                 exception_message(e));
  }
  module->module.eval();
  for (auto p : module->module.parameters()) p.set_requires_grad(false);

  // Probe with two samples: as shaped, else flattened.
  torch::NoGradGuard no_grad;
  std::vector<int64_t> batch_shape = {2};
  batch_shape.insert(batch_shape.end(), sample_shape.begin(), sample_shape.end());
  const at::Tensor probe = at::zeros(batch_shape);
  bool flatten = false;
  c10::IValue output;
  std::string first_error;
  try {
    output = module->module.forward({probe});
  } catch (const std::exception& e) {
    first_error = exception_message(e);
    try {
      output = module->module.forward({probe.reshape({2, -1})});
      flatten = true;
    } catch (const std::exception& e2) {
      DISTILL_FAIL_HINT("the module must map a batch (B, ...) to logits (B, K)", "'", source,
                        "': the TorchScript module accepts neither batches of shape ",
                        probe.sizes(), " (", first_error, ") nor ", probe.reshape({2, -1}).sizes(),
                        " (", exception_message(e2), ")");
    }
  }
  DISTILL_CHECK_HINT(output.isTensor() && output.toTensor().dim() == 2 &&
                         output.toTensor().size(0) == 2 && output.toTensor().size(1) >= 2 &&
                         output.toTensor().scalar_type() == at::kFloat,
                     "return the logits tensor (B, K) from forward()", "'", source,
                     "': the TorchScript module returned ",
                     output.isTensor() ? "a tensor of shape " : output.tagKind(),
                     output.isTensor() ? output.toTensor().sizes() : at::IntArrayRef{},
                     " for a batch of 2; expected float32 logits (2, K) with K >= 2");

  ModelSpec spec;
  spec.kind = ModelKind::kTorchScript;
  spec.input_shape = sample_shape;
  spec.num_classes = output.toTensor().size(1);
  validate_model_spec(spec, source);
  return ClassifierPtr(new TorchScriptClassifier(std::move(spec), std::move(module), flatten));
}

}  // namespace distill::models
