// The bidirectional LSTM classifier and its family entry.
#include "distill/models/bilstm.h"

#include <ATen/ATen.h>

#include "distill/core/error.h"
#include "distill/kernels/compute_path.h"
#include "distill/models/model_family.h"
#include "distill/ops/dropout.h"
#include "distill/ops/linear.h"
#include "distill/ops/lstm.h"
#include "token_sequences.h"

namespace distill::models {
namespace {

int64_t units(const ModelSpec& spec) { return spec.hidden.at(0); }

/// x (B, L, W) with its positions reordered by `order` (B, L).
at::Tensor reorder(const at::Tensor& x, const at::Tensor& order) {
  return x.gather(1, order.unsqueeze(2).expand({-1, -1, x.size(2)}));
}

/// The hidden states of one direction over x: the fused operation on the fast path (CPU float),
/// libtorch's module otherwise — the same function (tests/ops/lstm_test.cpp).
at::Tensor run_direction(torch::nn::LSTM& direction, const at::Tensor& x) {
  if (kernels::compute_path() == kernels::ComputePath::kFast && x.device().is_cpu() &&
      x.scalar_type() == at::kFloat) {
    const auto parameters = direction->named_parameters(/*recurse=*/false);
    return ops::lstm(x, parameters["weight_ih_l0"], parameters["weight_hh_l0"],
                     parameters["bias_ih_l0"], parameters["bias_hh_l0"]);
  }
  return std::get<0>(direction->forward(x));
}

}  // namespace

at::Tensor reversal_within_lengths(const at::Tensor& lengths, int64_t positions) {
  const at::Tensor t = at::arange(positions, lengths.options()).unsqueeze(0);
  const at::Tensor length = lengths.unsqueeze(1);
  return at::where(t < length, length - 1 - t, t);
}

BiLstm::BiLstm(const ModelSpec& spec) : Classifier(spec) {
  token_embedding_ = register_module("token_embedding", make_token_embedding(spec));
  for (int64_t i = 0; i < spec.layers; ++i) {
    const int64_t input = i == 0 ? spec.embedding_dim : 2 * units(spec);
    const auto options = torch::nn::LSTMOptions(input, units(spec)).batch_first(true);
    const std::string prefix = "layer" + std::to_string(i + 1) + "_";
    forward_.push_back(register_module(prefix + "forward", torch::nn::LSTM(options)));
    backward_.push_back(register_module(prefix + "backward", torch::nn::LSTM(options)));
  }
  head_ = register_module("head", torch::nn::Linear(2 * units(spec), spec.num_classes));
}

std::vector<std::string> BiLstm::tap_names() const {
  std::vector<std::string> names = {"embedding"};
  for (size_t i = 0; i < forward_.size(); ++i) names.push_back("layer" + std::to_string(i + 1));
  names.push_back("pooled");
  names.push_back("logits");
  return names;
}

at::Tensor BiLstm::run(const at::Tensor& inputs, FeatureTaps* taps) {
  check_token_batch(spec(), inputs);
  at::Tensor x = ops::dropout(token_embedding_->forward(inputs), spec().dropout, is_training());
  if (taps) taps->record("embedding", x);
  const at::Tensor lengths = token_lengths(inputs);
  const at::Tensor reversal = reversal_within_lengths(lengths, inputs.size(1));
  // Each text's last position (forward) and, in reversed order, the state after its first token.
  const at::Tensor last = (lengths - 1).view({-1, 1, 1}).expand({-1, 1, units(spec())});
  at::Tensor forward_final, backward_final;
  for (size_t i = 0; i < forward_.size(); ++i) {
    const at::Tensor ahead = run_direction(forward_[i], x);
    const at::Tensor behind_reversed = run_direction(backward_[i], reorder(x, reversal));
    x = at::cat({ahead, reorder(behind_reversed, reversal)}, 2);
    if (taps) taps->record("layer" + std::to_string(i + 1), x);
    if (i + 1 < forward_.size()) {
      x = ops::dropout(x, spec().dropout, is_training());
    } else {
      forward_final = ahead.gather(1, last).squeeze(1);
      backward_final = behind_reversed.gather(1, last).squeeze(1);
    }
  }
  const at::Tensor pooled = at::cat({forward_final, backward_final}, 1);
  if (taps) taps->record("pooled", pooled);
  const at::Tensor logits =
      ops::linear(ops::dropout(pooled, spec().dropout, is_training()), head_->weight, head_->bias);
  if (taps) taps->record("logits", logits);
  return logits;
}

namespace {

void validate_bilstm(const ModelSpec& spec, const std::string& where) {
  check_spec_range(where, "embedding_dim", spec.embedding_dim, 1, kMaxModelDimension);
  DISTILL_CHECK_HINT(spec.hidden.size() == 1, "write hidden: [150] for 150 units per direction",
                     where, ".hidden has ", spec.hidden.size(),
                     " entries: a bilstm takes one, its units per direction");
  check_spec_range(where, "hidden[0]", spec.hidden[0], 1, kMaxModelDimension);
  check_spec_range(where, "layers", spec.layers, 1, 16);
}

double bilstm_parameters(const ModelSpec& spec) {
  const double e = static_cast<double>(spec.embedding_dim), h = static_cast<double>(spec.hidden.at(0));
  double total = static_cast<double>(spec.vocab_size) * e;
  for (int64_t i = 0; i < spec.layers; ++i) {
    const double input = i == 0 ? e : 2 * h;
    total += 2 * (4 * h * (input + h) + 8 * h);
  }
  return total + (2 * h + 1) * static_cast<double>(spec.num_classes);
}

std::string describe_bilstm(const ModelSpec& spec) {
  return std::to_string(spec.layers) + "x" + std::to_string(spec.hidden.at(0)) +
         " per direction, " + std::to_string(spec.embedding_dim) + "-d embeddings, " +
         std::to_string(spec.input_shape.at(0)) + " tokens, vocabulary " +
         std::to_string(spec.vocab_size) + ", " + std::to_string(spec.num_classes) + " classes";
}

}  // namespace

ModelFamily bilstm_family() {
  ModelFamily family;
  family.kind = ModelKind::kBiLstm;
  family.input = ModelInput::kTokens;
  family.validate = validate_bilstm;
  family.parameter_bound = bilstm_parameters;
  family.minimum_parameters = bilstm_parameters;  // exact
  family.describe = describe_bilstm;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr {
    return std::make_shared<BiLstm>(spec);
  };
  return family;
}

}  // namespace distill::models
