// TorchScript teachers through libtorch's jit loader.
#include "distill/models/torchscript_classifier.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/jit/serialization/import.h>

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>
#include <string>
#include <numeric>

#include "distill/core/error.h"
#include "distill/models/model_family.h"
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

/// The method a module exports to offer its intermediate outputs (see the header).
constexpr const char* kTapsMethod = "taps";

/// The named outputs of the module's taps() for `x`, in the module's order. Errors name `source`.
std::vector<std::pair<std::string, at::Tensor>> call_taps(torch::jit::Module& module,
                                                          const at::Tensor& x,
                                                          const std::string& source) {
  c10::IValue output;
  try {
    output = module.get_method(kTapsMethod)({x});
  } catch (const std::exception& e) {
    DISTILL_FAIL("the TorchScript teacher ", source, " failed in taps() on a batch of shape ",
                 x.sizes(), ": ", exception_message(e));
  }
  DISTILL_CHECK_HINT(output.isGenericDict(),
                     "declare it as `def taps(self, x) -> Dict[str, torch.Tensor]`",
                     "the TorchScript teacher ", source, ": taps() returned ", output.tagKind(),
                     "; expected a dict from layer names to tensors");
  std::vector<std::pair<std::string, at::Tensor>> named;
  for (const auto& item : output.toGenericDict()) {
    DISTILL_CHECK_HINT(item.key().isString() && item.value().isTensor(),
                       "declare it as `def taps(self, x) -> Dict[str, torch.Tensor]`",
                       "the TorchScript teacher ", source,
                       ": taps() must map layer names (str) to tensors; it holds a ",
                       item.key().tagKind(), " -> ", item.value().tagKind(), " entry");
    named.emplace_back(item.key().toStringRef(), item.value().toTensor());
  }
  return named;
}

}  // namespace

TorchScriptClassifier::TorchScriptClassifier(ModelSpec spec, std::unique_ptr<Module> module,
                                             bool flatten_inputs, std::vector<std::string> tap_names)
    : Classifier(std::move(spec)),
      module_(std::move(module)),
      flatten_inputs_(flatten_inputs),
      tap_names_(std::move(tap_names)) {
  for (const auto& p : module_->module.named_parameters(/*recurse=*/true))
    register_parameter(sanitized(p.name), p.value, /*requires_grad=*/false);
  for (const auto& b : module_->module.named_buffers(/*recurse=*/true))
    register_buffer(sanitized(b.name), b.value);
}

TorchScriptClassifier::~TorchScriptClassifier() = default;

at::Tensor TorchScriptClassifier::run(const at::Tensor& inputs, FeatureTaps* taps) {
  const at::Tensor x = flatten_inputs_ ? inputs.reshape({inputs.size(0), -1}) : inputs;
  const bool wants_features =
      taps != nullptr && std::any_of(tap_names_.begin(), tap_names_.end(), [&](const auto& name) {
        return name != "logits" && taps->wants(name);
      });
  if (wants_features) {
    at::Tensor logits;
    for (auto& [name, value] : call_taps(module_->module, x, "module")) {
      if (name == "logits") logits = value;
      taps->record(name, value);
    }
    return logits;
  }
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

  // The intermediate outputs a module offers through taps(), checked once on the probe batch.
  std::vector<std::string> tap_names;
  if (module->module.find_method(kTapsMethod)) {
    const at::Tensor x = flatten ? probe.reshape({2, -1}) : probe;
    bool has_logits = false;
    for (const auto& [name, value] : call_taps(module->module, x, "'" + source + "'")) {
      DISTILL_CHECK(value.dim() >= 1 && value.size(0) == 2, "the TorchScript teacher '", source,
                    "': taps() returned '", name, "' of shape ", value.sizes(),
                    " for a batch of 2; every output must have the batch as its first dimension");
      if (name == "logits") {
        DISTILL_CHECK(value.sizes() == output.toTensor().sizes(), "the TorchScript teacher '",
                      source, "': taps()['logits'] has shape ", value.sizes(),
                      " but forward() returns ", output.toTensor().sizes());
        has_logits = true;
      } else {
        tap_names.push_back(name);
      }
    }
    DISTILL_CHECK_HINT(has_logits, "add the logits: `return {..., \"logits\": logits}`",
                       "the TorchScript teacher '", source,
                       "': taps() must return the logits too, under \"logits\"");
  }
  tap_names.push_back("logits");

  ModelSpec spec;
  spec.kind = ModelKind::kTorchScript;
  spec.input_shape = sample_shape;
  spec.num_classes = output.toTensor().size(1);
  validate_model_spec(spec, source);
  return ClassifierPtr(new TorchScriptClassifier(std::move(spec), std::move(module), flatten,
                                                 std::move(tap_names)));
}

}  // namespace distill::models

namespace distill::models {

ModelFamily torchscript_family() {
  ModelFamily family;
  family.kind = ModelKind::kTorchScript;
  family.input = ModelInput::kAny;
  family.describe = [](const ModelSpec& spec) {
    std::string out = "module, inputs";
    for (int64_t d : spec.input_shape) out += ' ' + std::to_string(d);
    return out + ", " + std::to_string(spec.num_classes) + " classes";
  };
  return family;  // no build: loaded from its file (load_torchscript_classifier)
}

}  // namespace distill::models
