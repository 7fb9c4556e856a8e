// FeatureTaps and the model factory.
#include "distill/models/classifier.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "distill/core/error.h"
#include "distill/core/random.h"
#include "distill/models/mlp.h"
#include "distill/models/staged_cnn.h"

namespace distill::models {
namespace {
// The random stream of weight initialisation (see core/random.h).
constexpr uint64_t kInitStream = 3'000'000;
}  // namespace

FeatureTaps::FeatureTaps(std::vector<std::string> wanted) : wanted_(std::move(wanted)) {}

bool FeatureTaps::wants(const std::string& name) const {
  return std::find(wanted_.begin(), wanted_.end(), name) != wanted_.end();
}

void FeatureTaps::record(const std::string& name, const at::Tensor& value) {
  if (wants(name)) values_[name] = value;
}

const at::Tensor& FeatureTaps::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    std::string recorded;
    for (const auto& [key, unused] : values_) recorded += (recorded.empty() ? "" : ", ") + key;
    DISTILL_FAIL("no feature tap '", name, "' was recorded (recorded: ",
                 recorded.empty() ? "none" : recorded, ")");
  }
  return it->second;
}

void Classifier::set_quantization_hooks(std::shared_ptr<QuantizationHooks> hooks) {
  DISTILL_CHECK(hooks == nullptr || (spec_.kind == ModelKind::kMlp &&
                                     spec_.activation == Activation::kRelu),
                "quantization-aware training supports MLPs with ReLU; '",
                describe_model_spec(spec_), "' cannot take quantization hooks");
  hooks_ = std::move(hooks);
}

ClassifierPtr build_classifier(const ModelSpec& spec, uint64_t seed) {
  validate_model_spec(spec, "model");
  seed_default_generator(derive_seed(seed, kInitStream));
  switch (spec.kind) {
    case ModelKind::kMlp: return std::make_shared<Mlp>(spec);
    case ModelKind::kResNet:
    case ModelKind::kMobileNet: return std::make_shared<StagedCnn>(spec);
    case ModelKind::kTorchScript:
      DISTILL_FAIL_HINT("load it with teacher.load", "a TorchScript model is loaded from its file, "
                        "not built from a spec (", describe_model_spec(spec), ")");
  }
  DISTILL_FAIL("unknown model kind ", static_cast<int>(spec.kind));
}

}  // namespace distill::models
