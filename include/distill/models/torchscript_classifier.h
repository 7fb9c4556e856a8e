// Teachers written in PyTorch: a TorchScript module (torch.jit.script / torch.jit.trace, saved
// with .save()) wrapped as a frozen Classifier, so it distils like any distill model.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "distill/models/classifier.h"

namespace c10 {
struct IValue;
}

namespace distill::models {

/// A TorchScript module as a Classifier: its forward maps a batch to (B, K) logits. Its
/// parameters and buffers are registered under sanitised names, so the soft-label cache key
/// covers them. Evaluation only: it refuses quantization hooks.
///
/// Feature taps: a module that exports a method `taps(x) -> Dict[str, Tensor]` (decorated with
/// `@torch.jit.export`), returning its named intermediate outputs and "logits", offers those
/// names to feature distillation (hints, attention transfer, relational KD); a module without
/// one has only "logits".
///
/// Text: a module over token ids is called as forward(ids, attention_mask) — both (B, L) int64,
/// the mask 1 for tokens and 0 for padding, as Hugging Face's models take them — or, when it
/// refuses that, forward(ids). Its ids are the run's tokenizer's (`data.text.tokenizer.file`);
/// with a WordPiece vocabulary, distill's ids are mapped back to the file's (BERT's [CLS] 101,
/// [PAD] 0, ...) and [SEP] follows each text's last token, as BERT's tokenizer gives them.
class TorchScriptClassifier : public Classifier {
 public:
  /// How a batch is passed to the module's forward (and taps).
  enum class InputForm { kAsShaped, kFlattened, kTokenIds, kTokenIdsAndMask };

  ~TorchScriptClassifier() override;
  std::vector<std::string> tap_names() const override { return tap_names_; }
  InputForm input_form() const { return input_; }
  /// Whether inputs are flattened to (B, F) before the module sees them.
  bool flattens_inputs() const { return input_ == InputForm::kFlattened; }
  /// A text module's token embedding: its one parameter of shape (vocab_size, E); undefined when
  /// it has none or several (then nothing is guessed).
  at::Tensor token_embedding() const;

 protected:
  at::Tensor run(const at::Tensor& inputs, FeatureTaps* taps) override;

 private:
  struct Module;
  TorchScriptClassifier(ModelSpec spec, std::unique_ptr<Module> module, InputForm input,
                        std::vector<std::string> tap_names);
  friend ClassifierPtr load_torchscript_classifier(const std::filesystem::path&,
                                                   const std::vector<int64_t>&, int64_t,
                                                   const std::string&);
  std::vector<c10::IValue> arguments(const at::Tensor& inputs) const;

  std::unique_ptr<Module> module_;
  InputForm input_;
  std::vector<std::string> tap_names_;  // "logits" last; more when the module exports taps()
  at::Tensor module_token_ids_;         // (V) int64: the module's id of each distill id; or none
  int64_t separator_id_ = -1;           // the module's [SEP], written after each text; or none
};

/// Whether `path` holds a TorchScript module rather than a distill model file (both are zip
/// archives; distill's carry a format key). Throws distill::Error for unreadable files.
bool is_torchscript_file(const std::filesystem::path& path);

/// Loads a TorchScript classifier for samples of `sample_shape` (e.g. {1, 28, 28}). The module
/// gets batches of that shape; if it rejects them, flattened (B, F) batches. With `vocab_size`
/// > 0 the samples are token ids ({L}): ids and attention mask, else ids alone; `tokenizer_model`
/// is the run's tokenizer (data::PreparedData::tokenizer_model), whose WordPiece form maps ids to
/// the module's. A probe batch fixes the class count. Errors name the file and what the module
/// returned for each form.
ClassifierPtr load_torchscript_classifier(const std::filesystem::path& path,
                                          const std::vector<int64_t>& sample_shape,
                                          int64_t vocab_size = 0,
                                          const std::string& tokenizer_model = "");

}  // namespace distill::models
