// The Transformer encoder classifier and its family entry.
#include "distill/models/text_transformer.h"

#include <ATen/ATen.h>

#include <cmath>

#include "activation.h"
#include "distill/core/error.h"
#include "distill/models/model_family.h"
#include "distill/ops/dropout.h"
#include "distill/ops/linear.h"
#include "distill/text/tokenizer_options.h"
#include "token_sequences.h"

namespace distill::models {
namespace {

/// A linear layer over the last dimension of a (..., in) tensor.
at::Tensor apply_linear(const torch::nn::Linear& layer, const at::Tensor& x) {
  const int64_t in = x.size(-1);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = layer->weight.size(0);
  return ops::linear(x.reshape({-1, in}), layer->weight, layer->bias).view(shape);
}

}  // namespace

TextTransformer::TextTransformer(const ModelSpec& spec) : Classifier(spec) {
  const int64_t width = spec.embedding_dim, length = spec.input_shape.at(0);
  token_embedding_ = register_module(
      "token_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(spec.vocab_size, width)
                               .padding_idx(text::kPadTokenId)));
  position_embedding_ =
      register_module("position_embedding", torch::nn::Embedding(length, width));
  // BERT's initialisation: N(0, 0.02) embeddings.
  {
    at::NoGradGuard no_grad;
    token_embedding_->weight.normal_(0.0, 0.02);
    token_embedding_->weight[text::kPadTokenId].zero_();
    position_embedding_->weight.normal_(0.0, 0.02);
  }
  const std::vector<int64_t> norm_shape = {width};
  for (int64_t i = 0; i < spec.layers; ++i) {
    const std::string prefix = "layer" + std::to_string(i + 1) + "_";
    EncoderLayer layer;
    layer.attention_norm = register_module(prefix + "attention_norm",
                                           torch::nn::LayerNorm(torch::nn::LayerNormOptions(norm_shape)));
    layer.in_projection = register_module(prefix + "in_projection", torch::nn::Linear(width, 3 * width));
    layer.out_projection = register_module(prefix + "out_projection", torch::nn::Linear(width, width));
    layer.feed_forward_norm = register_module(
        prefix + "feed_forward_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions(norm_shape)));
    layer.feed_forward_in =
        register_module(prefix + "feed_forward_in", torch::nn::Linear(width, spec.feed_forward));
    layer.feed_forward_out =
        register_module(prefix + "feed_forward_out", torch::nn::Linear(spec.feed_forward, width));
    layers_.push_back(layer);
  }
  final_norm_ = register_module("final_norm",
                                torch::nn::LayerNorm(torch::nn::LayerNormOptions(norm_shape)));
  head_ = register_module("head", torch::nn::Linear(width, spec.num_classes));
  token_bias_ = register_parameter("token_bias", at::zeros({spec.vocab_size}));
}

std::vector<std::string> TextTransformer::tap_names() const {
  std::vector<std::string> names = {"embedding"};
  for (size_t i = 0; i < layers_.size(); ++i) {
    names.push_back("attention" + std::to_string(i + 1));
    names.push_back("layer" + std::to_string(i + 1));
  }
  names.push_back("pooled");
  names.push_back("logits");
  return names;
}

at::Tensor TextTransformer::attention(const EncoderLayer& layer, const at::Tensor& x,
                                      const at::Tensor& key_mask, const std::string& tap,
                                      FeatureTaps* taps) const {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  const int64_t heads = spec().heads, head_width = width / heads;
  // (B, L, 3, H, D) -> three (B, H, L, D)
  const at::Tensor qkv = apply_linear(layer.in_projection, x)
                             .view({batch, length, 3, heads, head_width})
                             .permute({2, 0, 3, 1, 4});
  const at::Tensor scores =
      at::matmul(qkv[0], qkv[1].transpose(-2, -1)).mul_(1.0 / std::sqrt(double(head_width)));
  at::Tensor weights = at::softmax(scores + key_mask, -1);
  if (taps) taps->record(tap, weights);
  weights = ops::dropout(weights, spec().dropout, is_training());
  const at::Tensor context =
      at::matmul(weights, qkv[2]).transpose(1, 2).reshape({batch, length, width});
  return apply_linear(layer.out_projection, context);
}

at::Tensor TextTransformer::encode(const at::Tensor& token_ids, FeatureTaps* taps) {
  check_token_batch(spec(), token_ids);
  const int64_t length = token_ids.size(1);
  DISTILL_CHECK(length <= spec().input_shape[0], describe_model_spec(spec()), ": ", length,
                " tokens per text, more than its ", spec().input_shape[0], " positions");
  const at::Tensor positions = at::arange(length, token_ids.options());
  at::Tensor x = token_embedding_->forward(token_ids) + position_embedding_->forward(positions);
  x = ops::dropout(x, spec().dropout, is_training());
  if (taps) taps->record("embedding", x);
  // Additive key mask (B, 1, 1, L): a large negative value on padding. Finite, so a text that
  // is all padding attends uniformly instead of producing NaN.
  const at::Tensor key_mask =
      (token_ids == text::kPadTokenId).to(x.scalar_type()).mul_(-1e9).view({x.size(0), 1, 1, length});
  for (size_t i = 0; i < layers_.size(); ++i) {
    EncoderLayer& layer = layers_[i];
    const std::string attention_tap = "attention" + std::to_string(i + 1);
    x = x + ops::dropout(attention(layer, layer.attention_norm->forward(x), key_mask, attention_tap,
                                   taps != nullptr && taps->wants(attention_tap) ? taps : nullptr),
                         spec().dropout, is_training());
    at::Tensor hidden = activate(spec().activation,
                                 apply_linear(layer.feed_forward_in, layer.feed_forward_norm->forward(x)));
    hidden = ops::dropout(hidden, spec().dropout, is_training());
    x = x + ops::dropout(apply_linear(layer.feed_forward_out, hidden), spec().dropout, is_training());
    if (taps) taps->record("layer" + std::to_string(i + 1), x);
  }
  return final_norm_->forward(x);
}

at::Tensor TextTransformer::run(const at::Tensor& inputs, FeatureTaps* taps) {
  const at::Tensor encoded = encode(inputs, taps);
  at::Tensor pooled;
  if (spec().pooling == Pooling::kCls) {
    pooled = encoded.select(1, 0);
  } else {
    const at::Tensor present = (inputs != text::kPadTokenId).to(encoded.scalar_type()).unsqueeze(-1);
    pooled = (encoded * present).sum(1) / present.sum(1).clamp_min(1.0);
  }
  if (taps) taps->record("pooled", pooled);
  const at::Tensor logits =
      ops::linear(ops::dropout(pooled, spec().dropout, is_training()), head_->weight, head_->bias);
  if (taps) taps->record("logits", logits);
  return logits;
}

at::Tensor TextTransformer::token_logits(const at::Tensor& token_ids) {
  const at::Tensor encoded = encode(token_ids);
  const int64_t batch = encoded.size(0), length = encoded.size(1);
  return ops::linear(encoded.reshape({batch * length, -1}), token_embedding_->weight, token_bias_)
      .view({batch, length, -1});
}

at::Tensor TextTransformer::token_logits_at(const at::Tensor& token_ids, const at::Tensor& chosen) {
  const at::Tensor encoded = encode(token_ids);
  return ops::linear(encoded.index({chosen}), token_embedding_->weight, token_bias_);
}

namespace {

void validate_transformer(const ModelSpec& spec, const std::string& where) {
  const auto check = [&](int64_t value, const char* field, int64_t most) {
    check_spec_range(where, field, value, 1, most);
  };
  check(spec.embedding_dim, "embedding_dim", kMaxModelDimension);
  check(spec.layers, "layers", static_cast<int64_t>(kMaxModelLayers));
  check(spec.heads, "heads", spec.embedding_dim);
  check(spec.feed_forward, "feed_forward", kMaxModelDimension);
  DISTILL_CHECK_HINT(spec.embedding_dim % spec.heads == 0,
                     "choose heads that divide embedding_dim", where, ".heads = ", spec.heads,
                     " does not divide embedding_dim = ", spec.embedding_dim);
  DISTILL_CHECK(spec.vocab_size > text::kMaskTokenId, where, ".vocab_size = ", spec.vocab_size,
                ": expected more than the ", text::kFirstPieceId, " special tokens");
}

double transformer_parameters(const ModelSpec& spec) {
  const double e = static_cast<double>(spec.embedding_dim);
  const double f = static_cast<double>(spec.feed_forward);
  const double per_layer = 4 * e + (3 * e * e + 3 * e) + (e * e + e) + (f * e + f) + (e * f + e);
  return static_cast<double>(spec.vocab_size) * (e + 1) +
         static_cast<double>(spec.input_shape.at(0)) * e +
         static_cast<double>(spec.layers) * per_layer + 2 * e +
         (e + 1) * static_cast<double>(spec.num_classes);
}

std::string describe_transformer(const ModelSpec& spec) {
  return std::to_string(spec.layers) + "x" + std::to_string(spec.embedding_dim) + ", " +
         std::to_string(spec.heads) + " heads, ff " + std::to_string(spec.feed_forward) + " " +
         to_string(spec.activation) + ", " + to_string(spec.pooling) + " pooling, " +
         std::to_string(spec.input_shape.at(0)) + " tokens, vocabulary " +
         std::to_string(spec.vocab_size) + ", " + std::to_string(spec.num_classes) + " classes";
}

}  // namespace

ModelFamily transformer_family() {
  ModelFamily family;
  family.kind = ModelKind::kTransformer;
  family.input = ModelInput::kTokens;
  family.validate = validate_transformer;
  family.parameter_bound = transformer_parameters;
  family.minimum_parameters = transformer_parameters;  // exact
  family.describe = describe_transformer;
  family.build = [](const ModelSpec& spec) -> ClassifierPtr {
    return std::make_shared<TextTransformer>(spec);
  };
  return family;
}

}  // namespace distill::models
