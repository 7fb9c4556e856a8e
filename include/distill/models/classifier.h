// The interface every model implements: logits from inputs, with named intermediate outputs
// ("taps") available to feature-based distillation.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "distill/models/model_spec.h"
#include "distill/models/quantization_hooks.h"

namespace distill::models {

/// Collects the intermediate outputs named in `wanted` during one forward pass.
class FeatureTaps {
 public:
  explicit FeatureTaps(std::vector<std::string> wanted);

  bool wants(const std::string& name) const;
  void record(const std::string& name, const at::Tensor& value);
  /// The recorded output; throws distill::Error listing what was recorded when absent.
  const at::Tensor& get(const std::string& name) const;

 private:
  std::vector<std::string> wanted_;
  std::map<std::string, at::Tensor> values_;
};

// B = batch, K = classes.

/// A classifier built from a ModelSpec.
class Classifier : public torch::nn::Module {
 public:
  explicit Classifier(ModelSpec spec) : spec_(std::move(spec)) {}

  const ModelSpec& spec() const { return spec_; }

  /// inputs: (B, C, H, W) or (B, F) -> logits (B, K)
  at::Tensor forward(const at::Tensor& inputs) { return run(inputs, nullptr); }
  /// As forward, also recording the outputs `taps` asks for.
  at::Tensor forward(const at::Tensor& inputs, FeatureTaps& taps) { return run(inputs, &taps); }

  /// The names of the intermediate outputs this model can record, input side first.
  virtual std::vector<std::string> tap_names() const = 0;

  /// Attaches quantization-aware training hooks (null detaches them). Models that cannot be
  /// quantized yet refuse, naming their architecture.
  virtual void set_quantization_hooks(std::shared_ptr<QuantizationHooks> hooks);
  QuantizationHooks* quantization_hooks() const { return hooks_.get(); }

 protected:
  virtual at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) = 0;

 private:
  ModelSpec spec_;
  std::shared_ptr<QuantizationHooks> hooks_;
};

using ClassifierPtr = std::shared_ptr<Classifier>;

/// Builds the model a spec describes (validated first), its weights initialised from `seed`.
ClassifierPtr build_classifier(const ModelSpec& spec, uint64_t seed = 0);

}  // namespace distill::models
