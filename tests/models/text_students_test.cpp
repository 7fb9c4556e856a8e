// The text students between the bag of embeddings and the Transformer: the convolutional one
// (Kim 2014) and the BiLSTM (Tang et al. 2019), each against the same network written in PyTorch
// the way its paper describes it, run by /usr/bin/python3 on the same weights; padding
// invariance, taps, spec errors and model files.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "distill/models/bilstm.h"
#include "distill/models/model_family.h"
#include "distill/models/model_io.h"
#include "distill/models/text_cnn.h"
#include "error_assertions.h"
#include "pytorch_reference.h"
#include "test_support.h"
#include "text_token_batch.h"

namespace distill::models {
namespace {

using ::distill::testing::thrown_error;

ModelSpec student_spec(ModelKind kind) {
  ModelSpec spec;
  spec.kind = kind;
  spec.input_shape = {7};
  spec.num_classes = 3;
  spec.vocab_size = 40;
  spec.embedding_dim = 6;
  spec.kernel_widths = {2, 3, 5};
  spec.filters = 4;
  spec.hidden = {5};
  spec.layers = 2;
  return spec;
}

using ::distill::testing::token_batch;

ClassifierPtr perturbed_model(ModelKind kind, uint64_t seed) {
  ClassifierPtr model = build_classifier(student_spec(kind), seed);
  at::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.add_(at::randn(p.sizes()).mul_(0.1));
  model->eval();
  return model;
}

TEST(TextCnn, LogitsEqualKimsNetworkInPyTorchWithTheSameWeights) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  ClassifierPtr model = perturbed_model(ModelKind::kTextCnn, 4);
  const at::Tensor ids = token_batch();
  // Each text on its own, unpadded (padded up to a width when shorter): a convolution, ReLU and
  // the maximum over time per filter; the maxima of every width joined into the head.
  const std::string script = R"(
import torch.nn.functional as nnf
ids = t(r["ids"]).long()
rows = []
for text in ids:
    n = int((text != 0).sum())
    pooled = []
    for i, width in enumerate(r["widths"]):
        seq = text[: max(n, width)]
        x = nnf.embedding(seq, w["token_embedding.weight"]).t().unsqueeze(0)
        p = "convolution%d." % (i + 1)
        y = torch.relu(nnf.conv1d(x, w[p + "weight"], w[p + "bias"]))
        pooled.append(y.max(2).values[0])
    rows.append(nnf.linear(torch.cat(pooled), w["head.weight"], w["head.bias"]))
print(" ".join(repr(v) for v in torch.stack(rows).flatten().tolist()))
)";
  const at::Tensor theirs = testing::run_pytorch_reference(
      script, *model, {{"ids", testing::tensor_json(ids)}, {"widths", model->spec().kernel_widths}},
      {3, 3});
  const at::Tensor ours = model->forward(ids);
  EXPECT_TRUE(at::allclose(ours, theirs, 1e-4, 1e-5)) << ours << "\nPyTorch:\n" << theirs;
}

TEST(BiLstm, LogitsEqualPackedBidirectionalNnLstmWithTheSameWeights) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  ClassifierPtr model = perturbed_model(ModelKind::kBiLstm, 5);
  const at::Tensor ids = token_batch();
  // nn.LSTM(bidirectional=True) over the packed batch: h_n's last layer, forward then backward.
  const std::string script = R"(
ids = t(r["ids"]).long()
E, H, N = r["embedding_dim"], r["units"], r["layers"]
lstm = torch.nn.LSTM(E, H, num_layers=N, bidirectional=True, batch_first=True).double()
with torch.no_grad():
    for k in range(N):
        for direction, suffix in (("forward", ""), ("backward", "_reverse")):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(lstm, "%s_l%d%s" % (name, k, suffix)).copy_(
                    w["layer%d_%s.%s_l0" % (k + 1, direction, name)])
    x = torch.nn.functional.embedding(ids, w["token_embedding.weight"])
    lengths = (ids != 0).sum(1)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h, _) = lstm(packed)
    logits = torch.nn.functional.linear(torch.cat([h[-2], h[-1]], 1), w["head.weight"], w["head.bias"])
print(" ".join(repr(v) for v in logits.flatten().tolist()))
)";
  const ModelSpec& spec = model->spec();
  const at::Tensor theirs = testing::run_pytorch_reference(
      script, *model,
      {{"ids", testing::tensor_json(ids)},
       {"embedding_dim", spec.embedding_dim},
       {"units", spec.hidden[0]},
       {"layers", spec.layers}},
      {3, 3});
  const at::Tensor ours = model->forward(ids);
  EXPECT_TRUE(at::allclose(ours, theirs, 1e-4, 1e-5)) << ours << "\nPyTorch:\n" << theirs;
}

TEST(BiLstm, ReversalWithinLengthsLeavesPaddingInPlaceAndIsItsOwnInverse) {
  const at::Tensor order = reversal_within_lengths(at::tensor({3, 1, 5}, at::kLong), 5);
  EXPECT_TRUE(order.equal(at::tensor({2, 1, 0, 3, 4, 0, 1, 2, 3, 4, 4, 3, 2, 1, 0}, at::kLong).view({3, 5})));
  EXPECT_TRUE(order.gather(1, order).equal(at::arange(5, at::kLong).repeat({3, 1})));
}

class TextStudent : public ::testing::TestWithParam<const char*> {
 protected:
  ModelKind kind() const { return find_model_family(GetParam(), "test").kind; }
};

TEST_P(TextStudent, PaddingDoesNotChangeATextsLogits) {
  ClassifierPtr model = perturbed_model(kind(), 7);
  const at::Tensor ids = token_batch();
  const at::Tensor batch_logits = model->forward(ids);
  // The first text alone with all its padding, with less, and inside the batch: the same logits.
  const at::Tensor alone = model->forward(ids.narrow(0, 0, 1));
  const at::Tensor trimmed = model->forward(ids.narrow(0, 0, 1).narrow(1, 0, 5));
  EXPECT_TRUE(at::allclose(alone, batch_logits.narrow(0, 0, 1), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(alone, trimmed, 1e-5, 1e-6)) << alone << trimmed;
}

TEST_P(TextStudent, TapsHaveTheirShapesAndGradientsReachEveryParameter) {
  ClassifierPtr model = build_classifier(student_spec(kind()), 3);
  model->train();
  const at::Tensor ids = token_batch();
  FeatureTaps taps({"embedding", "pooled"});
  model->forward(ids, taps).pow(2).sum().backward();
  EXPECT_EQ(taps.get("embedding").sizes(), (std::vector<int64_t>{3, 7, 6}));
  const int64_t pooled = kind() == ModelKind::kTextCnn ? 3 * 4 : 2 * 5;
  EXPECT_EQ(taps.get("pooled").sizes(), (std::vector<int64_t>{3, pooled}));
  for (const auto& item : model->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
  }
  // The padding row of the embedding never learns.
  const at::Tensor embedding_grad = model->named_parameters()["token_embedding.weight"].grad();
  EXPECT_EQ(embedding_grad[0].abs().sum().item<double>(), 0.0);
  // The parameter count the family states is the model's.
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(static_cast<double>(count), minimum_parameter_count(model->spec()));
}

TEST_P(TextStudent, RoundTripsThroughModelFiles) {
  testing::TempDir dir;
  SavedModel saved{perturbed_model(kind(), 2), {}, "student", "tokenizer bytes"};
  save_model(dir.path() / "m.pt", saved);
  const SavedModel loaded = load_model(dir.path() / "m.pt");
  EXPECT_EQ(describe_model_spec(loaded.model->spec()), describe_model_spec(saved.model->spec()));
  loaded.model->eval();
  EXPECT_TRUE(loaded.model->forward(token_batch()).equal(saved.model->forward(token_batch())));
}

INSTANTIATE_TEST_SUITE_P(Families, TextStudent, ::testing::Values("text_cnn", "bilstm"),
                         [](const auto& info) { return std::string(info.param); });

TEST(TextStudents, AreDescribedAndTheirSpecErrorsNameTheField) {
  EXPECT_EQ(describe_model_spec(student_spec(ModelKind::kTextCnn)),
            "text_cnn 6-d, widths 2/3/5 x 4 filters, 7 tokens, vocabulary 40, 3 classes");
  EXPECT_EQ(describe_model_spec(student_spec(ModelKind::kBiLstm)),
            "bilstm 2x5 per direction, 6-d embeddings, 7 tokens, vocabulary 40, 3 classes");
  ModelSpec spec = student_spec(ModelKind::kTextCnn);
  spec.kernel_widths = {3, 8};
  Error e = thrown_error([&] { validate_model_spec(spec, "student.model"); });
  EXPECT_STREQ(e.what(),
               "student.model.kernel_widths[1] = 8: expected a width in [1, 7] (the tokens per text)");
  EXPECT_EQ(e.hint(), "raise data.text.max_tokens or narrow the convolution");
  spec.kernel_widths = {};
  EXPECT_STREQ(thrown_error([&] { validate_model_spec(spec, "student.model"); }).what(),
               "student.model.kernel_widths has 0 entries: expected 1 to 256");
  spec = student_spec(ModelKind::kBiLstm);
  spec.hidden = {5, 5};
  e = thrown_error([&] { validate_model_spec(spec, "student.model"); });
  EXPECT_STREQ(e.what(), "student.model.hidden has 2 entries: a bilstm takes one, its units per direction");
  EXPECT_EQ(e.hint(), "write hidden: [150] for 150 units per direction");
  EXPECT_EQ(model_family_names(ModelInput::kTokens), "transformer, bag_of_embeddings, text_cnn, bilstm");
  // A batch too short for the widest convolution is refused by name.
  ClassifierPtr cnn = build_classifier(student_spec(ModelKind::kTextCnn), 1);
  EXPECT_STREQ(thrown_error([&] { cnn->forward(token_batch().narrow(1, 0, 4)); }).what(),
               "text_cnn 6-d, widths 2/3/5 x 4 filters, 7 tokens, vocabulary 40, 3 classes: needs "
               "at least 5 token positions per text, got 4");
}

}  // namespace
}  // namespace distill::models
