// The int8 text student: the runtime's logits (Int8TextRunner) equal libtorch's computation of
// the same int8 model — the dequantized rows pooled by at::embedding_bag, the head through the
// independent fake-quantization simulation — and stay close to the fp32 student's; the file
// round-trips and refuses corruption.
#include "distill/compression/bag_int8_export.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/core/error.h"
#include "distill/runtime/int8_text_model.h"
#include "error_assertions.h"
#include "text_int8_test_inputs.h"

namespace distill::compression {
namespace {

using ::distill::testing::thrown_error;

std::shared_ptr<models::BagOfEmbeddings> bag_model() {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kBagOfEmbeddings;
  spec.input_shape = {9};
  spec.num_classes = 4;
  spec.vocab_size = 50;
  spec.embedding_dim = 12;
  spec.bigram_buckets = 17;
  auto model = std::dynamic_pointer_cast<models::BagOfEmbeddings>(models::build_classifier(spec, 4));
  at::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.copy_(at::randn(p.sizes()));
  model->eval();
  return model;
}

at::Tensor token_rows(int64_t n) {
  // <cls>, 1 to 8 tokens in [4, 50), padding.
  at::Tensor ids = at::zeros({n, 9}, at::kLong);
  for (int64_t i = 0; i < n; ++i) {
    ids[i][0] = 2;
    const int64_t length = 1 + i % 8;
    ids[i].narrow(0, 1, length).copy_(at::randint(4, 50, {length}, at::kLong));
  }
  return ids;
}

/// The bag quantized with its calibration rows `ids` (9 tokens, 4 classes).
runtime::Int8TextModel quantized_bag(models::BagOfEmbeddings& model, const at::Tensor& ids,
                                     const std::string& tokenizer = "tokenizer") {
  data::TextEncodingOptions encoding;
  encoding.max_tokens = 9;
  return quantize_bag_of_embeddings(model, {tokenizer, encoding, {"a", "b", "c", "d"}}, ids,
                                    Int8ExportOptions{});
}

TEST(BagInt8Export, RuntimeLogitsEqualLibtorchsComputationOfTheSameInt8Model) {
  at::manual_seed(3);
  auto model = bag_model();
  const at::Tensor ids = token_rows(64);
  const runtime::Int8TextModel int8 = quantized_bag(*model, ids);

  runtime::Int8TextRunner runner(int8);
  at::Tensor ours = at::empty({64, 4});
  runner.logits(ids.data_ptr<int64_t>(), 64, 9, ours.data_ptr<float>());

  const models::BagRows bag = models::bag_rows(ids, 50, 17);
  const at::Tensor pooled = std::get<0>(at::embedding_bag(
      dequantized_embeddings(int8), at::tensor(bag.rows, at::kLong),
      at::tensor(bag.offsets, at::kLong), false, 1));
  const at::Tensor reference = simulate_int8_logits(int8.head, pooled);
  EXPECT_TRUE(at::allclose(ours, reference, 1e-4, 1e-4)) << (ours - reference).abs().max();

  // int8 against fp32: per-row scales keep the rows within 0.4 % of their range.
  const at::Tensor fp32 = model->forward(ids);
  const double spread = (fp32.max() - fp32.min()).item<double>();
  EXPECT_LT((ours - fp32).abs().max().item<double>(), 0.03 * spread);
  EXPECT_EQ(ours.argmax(1).eq(fp32.argmax(1)).sum().item<int64_t>(), 64);
}

// A batch's texts in slices on 2 and 3 threads: the same means as one thread's reference rows.
TEST(BagInt8Export, ThreadsSharingABatchGiveOneThreadsMeans) {
  at::manual_seed(4);
  auto model = bag_model();
  const at::Tensor ids = token_rows(300);
  testing::expect_threads_match_reference(quantized_bag(*model, ids), ids);
}

TEST(BagInt8Export, TheFileRoundTripsAndRefusesCorruption) {
  at::manual_seed(4);
  auto model = bag_model();
  const runtime::Int8TextModel int8 = quantized_bag(*model, token_rows(16), "tokenizer bytes");
  const std::string bytes = runtime::encode_int8_text_model(int8);
  EXPECT_TRUE(runtime::is_int8_text_model(bytes));
  const runtime::Int8TextModel back = runtime::decode_int8_text_model(bytes, "m.int8text");
  EXPECT_EQ(back.tokenizer_model, "tokenizer bytes");
  EXPECT_EQ(back.embeddings, int8.embeddings);
  EXPECT_EQ(back.row_scales, int8.row_scales);
  EXPECT_EQ(back.class_names, int8.class_names);
  EXPECT_EQ(runtime::encode_int8_text_model(back), bytes);
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] ^= 0x40;
  EXPECT_NE(std::string(thrown_error([&] { runtime::decode_int8_text_model(corrupt, "m.int8text"); })
                            .what())
                .find("checksum mismatch"),
            std::string::npos);
  EXPECT_NE(std::string(thrown_error([&] {
              runtime::decode_int8_text_model(bytes.substr(0, 100), "m.int8text");
            }).what())
                .find("is 100 bytes but its preamble announces"),
            std::string::npos);
}

}  // namespace
}  // namespace distill::compression
