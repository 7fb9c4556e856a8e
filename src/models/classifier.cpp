// FeatureTaps and the model factory.
#include "distill/models/classifier.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "distill/core/error.h"
#include "distill/core/random.h"
#include "distill/models/model_family.h"

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
  const ModelFamily& family = model_family(spec.kind);
  DISTILL_CHECK_HINT(family.build != nullptr, "load it with teacher.load",
                     "a ", to_string(spec.kind), " model is loaded from its file, not built from "
                     "a spec (", describe_model_spec(spec), ")");
  seed_default_generator(derive_seed(seed, kInitStream));
  return family.build(spec);
}

}  // namespace distill::models
