// The convolutional text classifier and its family entry.
#include "distill/models/text_cnn.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/ops/dropout.h"
#include "distill/ops/linear.h"
#include "token_sequences.h"

namespace distill::models {
namespace {

int64_t widest(const ModelSpec& spec) {
  return *std::max_element(spec.kernel_widths.begin(), spec.kernel_widths.end());
}

}  // namespace

TextCnn::TextCnn(const ModelSpec& spec) : Classifier(spec) {
  token_embedding_ = register_module("token_embedding", make_token_embedding(spec));
  for (size_t i = 0; i < spec.kernel_widths.size(); ++i)
    convolutions_.push_back(register_module(
        "convolution" + std::to_string(i + 1),
        torch::nn::Conv1d(torch::nn::Conv1dOptions(spec.embedding_dim, spec.filters,
                                                   spec.kernel_widths[i]))));
  head_ = register_module(
      "head", torch::nn::Linear(static_cast<int64_t>(spec.kernel_widths.size()) * spec.filters,
                                spec.num_classes));
}

std::vector<std::string> TextCnn::tap_names() const { return {"embedding", "pooled", "logits"}; }

at::Tensor TextCnn::run(const at::Tensor& inputs, FeatureTaps* taps) {
  check_token_batch(spec(), inputs, widest(spec()));
  at::Tensor x = ops::dropout(token_embedding_->forward(inputs), spec().dropout, is_training());
  if (taps) taps->record("embedding", x);
  const at::Tensor channels_first = x.transpose(1, 2);  // (B, E, L)
  const at::Tensor lengths = token_lengths(inputs).unsqueeze(1);
  std::vector<at::Tensor> pooled;
  for (size_t i = 0; i < convolutions_.size(); ++i) {
    const int64_t width = spec().kernel_widths[i];
    const at::Tensor activations = at::relu(convolutions_[i]->forward(channels_first));
    // Windows past the text's last full one read padding: zeroed, which cannot raise a maximum
    // of ReLU outputs (the first window always counts).
    const at::Tensor starts = at::arange(activations.size(2), inputs.options()).unsqueeze(0);
    const at::Tensor counted = starts.le((lengths - width).clamp_min(0)).to(activations.scalar_type());
    pooled.push_back(std::get<0>((activations * counted.unsqueeze(1)).max(2)));
  }
  const at::Tensor features = at::cat(pooled, 1);
  if (taps) taps->record("pooled", features);
  const at::Tensor logits =
      ops::linear(ops::dropout(features, spec().dropout, is_training()), head_->weight, head_->bias);
  if (taps) taps->record("logits", logits);
  return logits;
}

namespace {

void validate_text_cnn(const ModelSpec& spec, const std::string& where) {
  check_spec_range(where, "embedding_dim", spec.embedding_dim, 1, kMaxModelDimension);
  check_spec_range(where, "filters", spec.filters, 1, kMaxModelDimension);
  DISTILL_CHECK(!spec.kernel_widths.empty() && spec.kernel_widths.size() <= kMaxModelLayers, where,
                ".kernel_widths has ", spec.kernel_widths.size(), " entries: expected 1 to ",
                kMaxModelLayers);
  const int64_t positions = spec.input_shape.at(0);
  for (size_t i = 0; i < spec.kernel_widths.size(); ++i)
    DISTILL_CHECK_HINT(spec.kernel_widths[i] >= 1 && spec.kernel_widths[i] <= positions,
                       "raise data.text.max_tokens or narrow the convolution", where,
                       ".kernel_widths[", i, "] = ", spec.kernel_widths[i],
                       ": expected a width in [1, ", positions, "] (the tokens per text)");
}

double text_cnn_parameters(const ModelSpec& spec) {
  const double e = static_cast<double>(spec.embedding_dim), f = static_cast<double>(spec.filters);
  double total = static_cast<double>(spec.vocab_size) * e;
  for (int64_t width : spec.kernel_widths) total += f * e * static_cast<double>(width) + f;
  const double pooled = f * static_cast<double>(spec.kernel_widths.size());
  return total + (pooled + 1) * static_cast<double>(spec.num_classes);
}

std::string describe_text_cnn(const ModelSpec& spec) {
  std::string widths;
  for (int64_t width : spec.kernel_widths)
    widths += (widths.empty() ? "" : "/") + std::to_string(width);
  return std::to_string(spec.embedding_dim) + "-d, widths " + widths + " x " +
         std::to_string(spec.filters) + " filters, " + std::to_string(spec.input_shape.at(0)) +
         " tokens, vocabulary " + std::to_string(spec.vocab_size) + ", " +
         std::to_string(spec.num_classes) + " classes";
}

}  // namespace

ModelFamily text_cnn_family() {
  ModelFamily family;
  family.kind = ModelKind::kTextCnn;
  family.input = ModelInput::kTokens;
  family.validate = validate_text_cnn;
  family.parameter_bound = text_cnn_parameters;
  family.minimum_parameters = text_cnn_parameters;  // exact
  family.describe = describe_text_cnn;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr {
    return std::make_shared<TextCnn>(spec);
  };
  return family;
}

}  // namespace distill::models
