// The text families: the Transformer encoder against PyTorch's nn.TransformerEncoder
// (norm_first, batch_first) with the same weights, run by /usr/bin/python3; the bag of embeddings
// against the mean it is defined as; both families through the registry and model files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "distill/models/bag_of_embeddings.h"
#include "distill/models/model_family.h"
#include "distill/models/model_io.h"
#include "distill/models/module_state.h"
#include "distill/models/text_transformer.h"
#include "distill/text/bigram_hash.h"
#include "error_assertions.h"
#include "pytorch_reference.h"
#include "tensor_assertions.h"
#include "test_support.h"
#include "text_token_batch.h"

namespace distill::models {
namespace {

using ::distill::testing::thrown_error;

ModelSpec transformer_spec(Pooling pooling) {
  ModelSpec spec;
  spec.kind = ModelKind::kTransformer;
  spec.input_shape = {7};
  spec.num_classes = 3;
  spec.vocab_size = 40;
  spec.embedding_dim = 16;
  spec.layers = 2;
  spec.heads = 4;
  spec.feed_forward = 24;
  spec.activation = Activation::kGelu;
  spec.pooling = pooling;
  return spec;
}

using ::distill::testing::token_batch;

/// PyTorch's logits for `model`'s weights on `ids`: nn.TransformerEncoder with the same layout;
/// also the first layer's attention probabilities (B, heads, L, L) when `attention` is given.
at::Tensor pytorch_logits(TextTransformer& model, const at::Tensor& ids,
                          at::Tensor* attention = nullptr) {
  const ModelSpec& spec = model.spec();
  const nlohmann::json request = {{"ids", testing::tensor_json(ids)},
                                  {"layers", spec.layers},
                                  {"width", spec.embedding_dim},
                                  {"heads", spec.heads},
                                  {"feed_forward", spec.feed_forward},
                                  {"pooling", to_string(spec.pooling)}};
  const std::string script = R"(
E, H, F, N = r["width"], r["heads"], r["feed_forward"], r["layers"]
layer = torch.nn.TransformerEncoderLayer(E, H, F, dropout=0.0, activation="gelu",
                                         batch_first=True, norm_first=True)
enc = torch.nn.TransformerEncoder(layer, N, norm=torch.nn.LayerNorm(E),
                                  enable_nested_tensor=False).double().eval()
with torch.no_grad():
    for i, l in enumerate(enc.layers):
        p = "layer%d_" % (i + 1)
        l.norm1.weight.copy_(w[p + "attention_norm.weight"]); l.norm1.bias.copy_(w[p + "attention_norm.bias"])
        l.self_attn.in_proj_weight.copy_(w[p + "in_projection.weight"])
        l.self_attn.in_proj_bias.copy_(w[p + "in_projection.bias"])
        l.self_attn.out_proj.weight.copy_(w[p + "out_projection.weight"])
        l.self_attn.out_proj.bias.copy_(w[p + "out_projection.bias"])
        l.norm2.weight.copy_(w[p + "feed_forward_norm.weight"]); l.norm2.bias.copy_(w[p + "feed_forward_norm.bias"])
        l.linear1.weight.copy_(w[p + "feed_forward_in.weight"]); l.linear1.bias.copy_(w[p + "feed_forward_in.bias"])
        l.linear2.weight.copy_(w[p + "feed_forward_out.weight"]); l.linear2.bias.copy_(w[p + "feed_forward_out.bias"])
    enc.norm.weight.copy_(w["final_norm.weight"]); enc.norm.bias.copy_(w["final_norm.bias"])
    ids = t(r["ids"]).long()
    x = torch.nn.functional.embedding(ids, w["token_embedding.weight"]) + w["position_embedding.weight"][: ids.shape[1]]
    h = enc(x, src_key_padding_mask=(ids == 0))
    if r["pooling"] == "cls":
        pooled = h[:, 0]
    else:
        present = (ids != 0).double().unsqueeze(-1)
        pooled = (h * present).sum(1) / present.sum(1)
    logits = torch.nn.functional.linear(pooled, w["head.weight"], w["head.bias"])
    # The first layer's attention probabilities per head, from nn.MultiheadAttention itself.
    l = enc.layers[0]
    y = l.norm1(x)
    _, attention = l.self_attn(y, y, y, key_padding_mask=(ids == 0), need_weights=True,
                               average_attn_weights=False)
print(" ".join(repr(v) for v in torch.cat([logits.flatten(), attention.flatten()]).tolist()))
)";
  const int64_t batch = ids.size(0), length = ids.size(1);
  const at::Tensor both = testing::run_pytorch_reference(
      script, model, request, {batch * spec.num_classes + batch * spec.heads * length * length});
  if (attention) {
    *attention = both.narrow(0, batch * spec.num_classes, batch * spec.heads * length * length)
                     .view({batch, spec.heads, length, length});
  }
  return both.narrow(0, 0, batch * spec.num_classes).view({batch, spec.num_classes});
}

class TransformerAgainstPyTorch : public ::testing::TestWithParam<Pooling> {};

TEST_P(TransformerAgainstPyTorch, LogitsEqualNnTransformerEncoderWithTheSameWeights) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  auto model = std::dynamic_pointer_cast<TextTransformer>(build_classifier(transformer_spec(GetParam()), 5));
  ASSERT_NE(model, nullptr);
  {
    // Non-trivial norms and biases, so every parameter's place is checked.
    at::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(at::randn(p.sizes()).mul_(0.1));
  }
  model->eval();
  const at::Tensor ids = token_batch();
  FeatureTaps taps({"attention1"});
  const at::Tensor ours = model->forward(ids, taps);
  at::Tensor their_attention;
  const at::Tensor theirs = pytorch_logits(*model, ids, &their_attention);
  EXPECT_TRUE(at::allclose(ours, theirs, 1e-4, 1e-5)) << ours << "\nPyTorch:\n" << theirs;
  // The attention tap (what TinyBERT's attention loss reads) is PyTorch's per-head attention.
  EXPECT_TRUE(at::allclose(taps.get("attention1"), their_attention, 1e-4, 1e-6))
      << (taps.get("attention1") - their_attention).abs().max();
}

INSTANTIATE_TEST_SUITE_P(Pooling, TransformerAgainstPyTorch,
                         ::testing::Values(Pooling::kCls, Pooling::kMean),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(TextTransformer, PaddingDoesNotChangeATextsLogitsAndTapsHaveTheirShapes) {
  auto model = build_classifier(transformer_spec(Pooling::kMean), 1);
  model->eval();
  const at::Tensor ids = token_batch();
  // The second text alone, padded to 7 or to 4: the same logits (padding is masked out).
  const at::Tensor long_form = model->forward(ids.narrow(0, 1, 1));
  ModelSpec shorter = transformer_spec(Pooling::kMean);
  const at::Tensor short_form = model->forward(ids.narrow(0, 1, 1).narrow(1, 0, 4));
  EXPECT_TRUE(at::allclose(long_form, short_form, 1e-5, 1e-6));
  FeatureTaps taps({"embedding", "layer2", "pooled"});
  model->forward(ids, taps);
  EXPECT_EQ(taps.get("layer2").sizes(), (std::vector<int64_t>{3, 7, 16}));
  EXPECT_EQ(taps.get("pooled").sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(model->tap_names(),
            (std::vector<std::string>{"embedding", "attention1", "layer1", "attention2", "layer2",
                                      "pooled", "logits"}));
  auto transformer = std::dynamic_pointer_cast<TextTransformer>(model);
  const at::Tensor all = transformer->token_logits(ids);
  EXPECT_EQ(all.sizes(), (std::vector<int64_t>{3, 7, 40}));
  const at::Tensor chosen = ids.gt(3);
  EXPECT_TRUE(at::allclose(transformer->token_logits_at(ids, chosen), all.index({chosen}), 1e-5, 1e-6));
}

ModelSpec bag_spec(int64_t buckets) {
  ModelSpec spec;
  spec.kind = ModelKind::kBagOfEmbeddings;
  spec.input_shape = {7};
  spec.num_classes = 3;
  spec.vocab_size = 40;
  spec.embedding_dim = 5;
  spec.bigram_buckets = buckets;
  return spec;
}

TEST(BagOfEmbeddings, LogitsAreTheHeadOfTheMeanOfTokenAndBigramRows) {
  auto model = std::dynamic_pointer_cast<BagOfEmbeddings>(build_classifier(bag_spec(11), 2));
  ASSERT_NE(model, nullptr);
  model->eval();
  const at::Tensor ids = token_batch();
  const at::Tensor logits = model->forward(ids);
  const at::Tensor table = model->embeddings();
  // Text 0: tokens 9 17 33 5 (<cls> and padding do not count), and bigrams of adjacent ones.
  std::vector<int64_t> rows = {9, 17, 33, 5};
  for (size_t i = 1; i < 4; ++i)
    rows.push_back(40 + text::bigram_bucket(rows[i - 1], rows[i], 11));
  const at::Tensor mean = table.index_select(0, at::tensor(rows, at::kLong)).mean(0);
  const at::Tensor expected = at::linear(mean, model->head()->weight, model->head()->bias);
  EXPECT_TRUE(at::allclose(logits[0], expected, 1e-5, 1e-6));
  // Text 1 has one token and no bigram.
  const at::Tensor single = at::linear(table[11], model->head()->weight, model->head()->bias);
  EXPECT_TRUE(at::allclose(logits[1], single, 1e-5, 1e-6));
  EXPECT_EQ(bag_rows(ids, 40, 0).rows.size(), 4u + 1u + 6u);
  EXPECT_STREQ(thrown_error([&] { bag_rows(at::full({1, 2}, 40, at::kLong), 40, 0); }).what(),
               "token id 40 at text 0, position 0 is outside the vocabulary [0, 40)");
}

TEST(TextFamilies, AreRegisteredAndRoundTripThroughModelFiles) {
  EXPECT_EQ(model_family_names(true),
            "mlp, resnet, mobilenet, transformer, bag_of_embeddings, text_cnn, bilstm");
  EXPECT_EQ(model_family(ModelKind::kTransformer).input, ModelInput::kTokens);
  testing::TempDir dir;
  for (const ModelSpec& spec : {transformer_spec(Pooling::kCls), bag_spec(11)}) {
    SavedModel saved{build_classifier(spec, 3), {}, "teacher", "tokenizer bytes"};
    save_model(dir.path() / "m.pt", saved);
    const SavedModel loaded = load_model(dir.path() / "m.pt");
    EXPECT_EQ(describe_model_spec(loaded.model->spec()), describe_model_spec(spec));
    EXPECT_EQ(loaded.tokenizer_model, "tokenizer bytes");
    saved.model->eval();
    loaded.model->eval();
    EXPECT_TRUE(loaded.model->forward(token_batch()).equal(saved.model->forward(token_batch())));
    SavedModel without = saved;
    without.tokenizer_model.clear();
    save_model(dir.path() / "bare.pt", without);
    EXPECT_NE(std::string(thrown_error([&] { load_model(dir.path() / "bare.pt"); }).what())
                  .find("model without a tokenizer"),
              std::string::npos);
  }
}

TEST(TextFamilies, SpecErrorsNameTheField) {
  ModelSpec spec = transformer_spec(Pooling::kCls);
  spec.heads = 5;
  EXPECT_STREQ(thrown_error([&] { validate_model_spec(spec, "teacher.model"); }).what(),
               "teacher.model.heads = 5 does not divide embedding_dim = 16");
  spec = transformer_spec(Pooling::kCls);
  spec.input_shape = {1, 28, 28};
  EXPECT_STREQ(thrown_error([&] { validate_model_spec(spec, "teacher.model"); }).what(),
               "teacher.model: a transformer reads token ids [L], got 3-dimensional samples");
  spec = bag_spec(-1);
  EXPECT_STREQ(thrown_error([&] { validate_model_spec(spec, "student.model"); }).what(),
               "student.model.bigram_buckets = -1: expected a value in [0, 16777216]");
  spec.kind = ModelKind{"lstm"};
  const Error e = thrown_error([&] { validate_model_spec(spec, "student.model"); });
  EXPECT_STREQ(e.what(), "student.model.type: unknown model type 'lstm'");
  EXPECT_EQ(e.hint(),
            "choose one of: mlp, resnet, mobilenet, transformer, bag_of_embeddings, text_cnn, bilstm");
}

}  // namespace
}  // namespace distill::models
