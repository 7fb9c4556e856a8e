// Teachers written in PyTorch: a TorchScript module (torch.jit.script / torch.jit.trace, saved
// with .save()) wrapped as a frozen Classifier, so it distils like any distill model.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "distill/models/classifier.h"

namespace distill::models {

/// A TorchScript module as a Classifier: its forward maps a batch to (B, K) logits. Its
/// parameters and buffers are registered under sanitised names, so the soft-label cache key
/// covers them. Evaluation only: it refuses quantization hooks.
///
/// Feature taps: a module that exports a method `taps(x) -> Dict[str, Tensor]` (decorated with
/// `@torch.jit.export`), returning its named intermediate outputs and "logits", offers those
/// names to feature distillation (hints, attention transfer, relational KD); a module without
/// one has only "logits".
class TorchScriptClassifier : public Classifier {
 public:
  ~TorchScriptClassifier() override;
  std::vector<std::string> tap_names() const override { return tap_names_; }
  /// Whether inputs are flattened to (B, F) before the module sees them.
  bool flattens_inputs() const { return flatten_inputs_; }

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  struct Module;
  TorchScriptClassifier(ModelSpec spec, std::unique_ptr<Module> module, bool flatten_inputs,
                        std::vector<std::string> tap_names);
  friend ClassifierPtr load_torchscript_classifier(const std::filesystem::path&,
                                                   const std::vector<int64_t>&);

  std::unique_ptr<Module> module_;
  bool flatten_inputs_;
  std::vector<std::string> tap_names_;  // "logits" last; more when the module exports taps()
};

/// Whether `path` holds a TorchScript module rather than a distill model file (both are zip
/// archives; distill's carry a format key). Throws distill::Error for unreadable files.
bool is_torchscript_file(const std::filesystem::path& path);

/// Loads a TorchScript classifier for samples of `sample_shape` (e.g. {1, 28, 28}). The module
/// gets batches of that shape; if it rejects them, flattened (B, F) batches. A probe batch
/// fixes the class count. Errors name the file and what the module returned.
ClassifierPtr load_torchscript_classifier(const std::filesystem::path& path,
                                          const std::vector<int64_t>& sample_shape);

}  // namespace distill::models
