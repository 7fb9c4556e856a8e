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
#include <sstream>

#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/models/model_io.h"
#include "distill/text/tokenizer_options.h"
#include "distill/text/wordpiece_vocabulary.h"

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
                                                          std::vector<c10::IValue> arguments,
                                                          const std::string& source) {
  const auto shape = arguments.at(0).toTensor().sizes().vec();
  c10::IValue output;
  try {
    output = module.get_method(kTapsMethod)(std::move(arguments));
  } catch (const std::exception& e) {
    DISTILL_FAIL("the TorchScript teacher ", source, " failed in taps() on a batch of shape ",
                 at::IntArrayRef(shape), ": ", exception_message(e));
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

/// How distill's token ids become the module's: none (the same ids), or a WordPiece
/// vocabulary's map back to its file's ids and its [SEP].
struct ModuleTokenIds {
  at::Tensor of_distill_id;  // (V) int64, or undefined
  int64_t separator = -1;
};

ModuleTokenIds module_token_ids(const std::string& tokenizer_model, const std::string& source) {
  if (!text::is_serialized_wordpiece_vocabulary(tokenizer_model)) return {};
  const text::WordPieceVocabulary vocabulary =
      text::deserialize_wordpiece_vocabulary(tokenizer_model, source);
  return {at::tensor(vocabulary.file_ids, at::kLong), vocabulary.separator_file_id};
}

/// A batch of token ids (B, L) as the module is called with it: the ids, mapped to the module's
/// own, and the attention mask (1 for a token, 0 for padding: the convention of Hugging Face's
/// models) when it takes one. With a separator, [SEP] follows each text's last token — over the
/// last one when the row is full, as BERT's tokenizer truncates a text to leave it room.
std::vector<c10::IValue> token_arguments(const at::Tensor& ids, bool with_mask,
                                         const ModuleTokenIds& map) {
  at::Tensor mask = ids.ne(text::kPadTokenId).to(at::kLong);
  at::Tensor module_ids = ids;
  if (map.of_distill_id.defined()) {
    module_ids = map.of_distill_id.to(ids.device())
                     .index_select(0, ids.reshape({-1}))
                     .view(ids.sizes());
    if (map.separator >= 0) {
      const at::Tensor after_last = mask.sum(1, /*keepdim=*/true).clamp_max(ids.size(1) - 1);
      module_ids = module_ids.scatter(1, after_last, map.separator);
      mask = mask.scatter(1, after_last, 1);
    }
  }
  if (!with_mask) return {module_ids};
  return {module_ids, mask};
}

}  // namespace

TorchScriptClassifier::TorchScriptClassifier(ModelSpec spec, std::unique_ptr<Module> module,
                                             InputForm input, std::vector<std::string> tap_names)
    : Classifier(std::move(spec)),
      module_(std::move(module)),
      input_(input),
      tap_names_(std::move(tap_names)) {
  for (const auto& p : module_->module.named_parameters(/*recurse=*/true))
    register_parameter(sanitized(p.name), p.value, /*requires_grad=*/false);
  for (const auto& b : module_->module.named_buffers(/*recurse=*/true))
    register_buffer(sanitized(b.name), b.value);
}

TorchScriptClassifier::~TorchScriptClassifier() = default;

std::vector<c10::IValue> TorchScriptClassifier::arguments(const at::Tensor& inputs) const {
  switch (input_) {
    case InputForm::kAsShaped: return {inputs};
    case InputForm::kFlattened: return {inputs.reshape({inputs.size(0), -1})};
    case InputForm::kTokenIds:
      return token_arguments(inputs, false, {module_token_ids_, separator_id_});
    case InputForm::kTokenIdsAndMask:
      return token_arguments(inputs, true, {module_token_ids_, separator_id_});
  }
  return {inputs};
}

at::Tensor TorchScriptClassifier::token_embedding() const {
  if (input_ != InputForm::kTokenIds && input_ != InputForm::kTokenIdsAndMask) return {};
  at::Tensor found;
  for (const auto& p : named_parameters(/*recurse=*/false)) {
    const at::Tensor& value = p.value();
    if (value.dim() != 2) continue;
    // With a WordPiece vocabulary the table may have more rows than the file has lines
    // (models pad it to a round size); the file's ids pick its rows below.
    const bool rows_fit = value.size(0) == spec().vocab_size ||
                          (module_token_ids_.defined() && value.size(0) > spec().vocab_size);
    if (!rows_fit) continue;
    if (found.defined()) return {};  // two candidates: no guess
    found = value;
  }
  // Rows in distill's id order.
  if (found.defined() && module_token_ids_.defined()) return found.index_select(0, module_token_ids_);
  return found;
}

at::Tensor TorchScriptClassifier::run(const at::Tensor& inputs, FeatureTaps* taps) {
  std::vector<c10::IValue> args = arguments(inputs);
  const auto shape = args.at(0).toTensor().sizes().vec();
  const bool wants_features =
      taps != nullptr && std::any_of(tap_names_.begin(), tap_names_.end(), [&](const auto& name) {
        return name != "logits" && taps->wants(name);
      });
  if (wants_features) {
    at::Tensor logits;
    for (auto& [name, value] : call_taps(module_->module, std::move(args), "module")) {
      if (name == "logits") logits = value;
      taps->record(name, value);
    }
    return logits;
  }
  at::Tensor logits;
  try {
    logits = module_->module.forward(std::move(args)).toTensor();
  } catch (const std::exception& e) {
    DISTILL_FAIL("the TorchScript teacher failed on a batch of shape ", at::IntArrayRef(shape),
                 ": ", exception_message(e));
  }
  if (taps) taps->record("logits", logits);
  return logits;
}

bool is_torchscript_file(const std::filesystem::path& path) {
  // A distill model file is a libtorch archive carrying distill's format key.
  return !is_distill_model_file(path);
}

ClassifierPtr load_torchscript_classifier(const std::filesystem::path& path,
                                          const std::vector<int64_t>& sample_shape,
                                          int64_t vocab_size, const std::string& tokenizer_model) {
  const std::string source = path.string();
  const ModuleTokenIds token_ids = module_token_ids(tokenizer_model, "the run's tokenizer");
  auto module = std::make_unique<TorchScriptClassifier::Module>();
  try {
    module->module = torch::jit::load(source, at::kCPU);
  } catch (const std::exception& e) {
    DISTILL_FAIL("'", source, "' is neither a distill model file nor a TorchScript module: ",
                 exception_message(e));
  }
  module->module.eval();
  for (auto p : module->module.parameters()) p.set_requires_grad(false);

  // Probe with two samples in each form the data allows, the first the module accepts wins:
  // images or features as shaped, else flattened; token ids with an attention mask, else alone.
  torch::NoGradGuard no_grad;
  std::vector<int64_t> batch_shape = {2};
  batch_shape.insert(batch_shape.end(), sample_shape.begin(), sample_shape.end());
  using Form = TorchScriptClassifier::InputForm;
  std::vector<std::pair<Form, std::vector<c10::IValue>>> forms;
  if (vocab_size > 0) {
    // <cls>, one piece, padding: a text the tokenizer could have made.
    at::Tensor ids = at::zeros(batch_shape, at::kLong);
    ids.select(1, 0).fill_(text::kClsTokenId);
    if (ids.size(1) > 1) ids.select(1, 1).fill_(std::min<int64_t>(text::kFirstPieceId, vocab_size - 1));
    forms.push_back({Form::kTokenIdsAndMask, token_arguments(ids, true, token_ids)});
    forms.push_back({Form::kTokenIds, token_arguments(ids, false, token_ids)});
  } else {
    const at::Tensor probe = at::zeros(batch_shape);
    forms.push_back({Form::kAsShaped, {probe}});
    forms.push_back({Form::kFlattened, {probe.reshape({2, -1})}});
  }
  const auto describe = [](const std::vector<c10::IValue>& args) {
    std::ostringstream out;
    out << args[0].toTensor().sizes() << (args[0].toTensor().scalar_type() == at::kLong ? " int64" : "");
    if (args.size() > 1) out << " with a mask " << args[1].toTensor().sizes();
    return out.str();
  };
  Form form = forms[0].first;
  std::vector<c10::IValue> probe_args;
  c10::IValue output;
  std::string tried;
  for (const auto& [candidate, args] : forms) {
    try {
      output = module->module.forward(args);
      form = candidate;
      probe_args = args;
      break;
    } catch (const std::exception& e) {
      tried += (tried.empty() ? "" : "; ") + describe(args) + ": " + exception_message(e);
    }
  }
  DISTILL_CHECK_HINT(!probe_args.empty(),
                     vocab_size > 0 ? "the module must map token ids (B, L) int64 and an "
                                      "attention mask (B, L) int64, or the ids alone, to logits (B, K)"
                                    : "the module must map a batch (B, ...) to logits (B, K)",
                     "'", source, "': the TorchScript module accepts none of the batches tried (",
                     tried, ")");
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
    bool has_logits = false;
    for (const auto& [name, value] : call_taps(module->module, probe_args, "'" + source + "'")) {
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
  spec.vocab_size = vocab_size;
  validate_model_spec(spec, source);
  auto classifier = std::shared_ptr<TorchScriptClassifier>(new TorchScriptClassifier(
      std::move(spec), std::move(module), form, std::move(tap_names)));
  classifier->module_token_ids_ = token_ids.of_distill_id;
  classifier->separator_id_ = token_ids.separator;
  return classifier;
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
