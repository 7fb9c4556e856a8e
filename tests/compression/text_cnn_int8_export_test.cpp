// The int8 convolutional text student: the runtime's maxima and logits equal libtorch's
// computation of the same int8 model (the fake-quantized sequence through at::conv1d, the head
// through the independent fake-quantization simulation), its reference and oneDNN GEMMs agree,
// it stays close to the fp32 student, reads unpadded short rows as training's padded ones, and
// its file round-trips and names what is wrong in a bad one.
#include "distill/compression/text_cnn_int8_export.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distill/compression/text_int8_export.h"
#include "distill/core/error.h"
#include "distill/runtime/int8_classifier.h"
#include "distill/runtime/int8_text_model.h"
#include "error_assertions.h"
#include "text_int8_test_inputs.h"

namespace distill::compression {
namespace {

using ::distill::testing::thrown_error;

constexpr int64_t kCnnLength = 12;

std::shared_ptr<models::TextCnn> cnn_model() {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kTextCnn;
  spec.input_shape = {kCnnLength};
  spec.num_classes = 4;
  spec.vocab_size = 50;
  spec.embedding_dim = 10;
  spec.kernel_widths = {2, 3, 5};
  spec.filters = 7;
  auto model = std::dynamic_pointer_cast<models::TextCnn>(models::build_classifier(spec, 4));
  model->eval();
  return model;
}

at::Tensor cnn_token_rows(int64_t n) { return testing::token_rows(n, kCnnLength); }

TextModelContext cnn_context() { return testing::text_context(kCnnLength); }

TEST(TextCnnInt8Export, RuntimeEqualsLibtorchsComputationOfTheSameInt8Model) {
  at::manual_seed(3);
  auto model = cnn_model();
  const at::Tensor ids = cnn_token_rows(64);
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, cnn_context(), ids, Int8ExportOptions{});
  ASSERT_EQ(int8.encoder, runtime::TextEncoder::kConvolutions);
  ASSERT_EQ(int8.head_input_width(), 21);

  testing::expect_runtime_matches(int8, ids, simulate_text_convolutions(int8, ids),
                                  model->forward(ids), 60);
}

// A batch of many chunks (about 1024 windows each) shared among threads, each with its own
// buffers and oneDNN shapes of varying row counts: the same maxima as one thread's reference.
TEST(TextCnnInt8Export, ThreadsSharingABatchsChunksGiveTheReferenceMaxima) {
  at::manual_seed(7);
  auto model = cnn_model();
  const at::Tensor ids = cnn_token_rows(1500);
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, cnn_context(), ids.narrow(0, 0, 64), Int8ExportOptions{});
  testing::expect_threads_match_reference(int8, ids);
}

TEST(TextCnnInt8Export, ShortUnpaddedRowsReadAsTrainingsPaddedOnes) {
  at::manual_seed(5);
  auto model = cnn_model();
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, cnn_context(), cnn_token_rows(32), Int8ExportOptions{});
  runtime::Int8TextRunner runner(int8);
  // <cls> and one token: shorter than the widths 3 and 5; as the classifier passes it, and padded.
  std::vector<int64_t> row = {2, 17};
  std::vector<int64_t> padded(kCnnLength, 0);
  padded[0] = 2;
  padded[1] = 17;
  std::vector<float> short_logits(4), padded_logits(4);
  runner.logits(row.data(), 1, 2, short_logits.data());
  runner.logits(padded.data(), 1, kCnnLength, padded_logits.data());
  EXPECT_EQ(short_logits, padded_logits);
  const std::vector<int64_t> outside = {2, 50};
  EXPECT_STREQ(thrown_error([&] { runner.logits(outside.data(), 1, 2, short_logits.data()); }).what(),
               "token id 50 is outside the vocabulary [0, 50)");
}

TEST(TextCnnInt8Export, TheFileRoundTripsAndNamesWhatIsWrong) {
  at::manual_seed(4);
  auto model = cnn_model();
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, cnn_context(), cnn_token_rows(16), Int8ExportOptions{});
  const std::string bytes = runtime::encode_int8_text_model(int8);
  const runtime::Int8TextModel back = runtime::decode_int8_text_model(bytes, "m.int8text");
  EXPECT_EQ(back.encoder, runtime::TextEncoder::kConvolutions);
  EXPECT_EQ(back.sequence_scale, int8.sequence_scale);
  EXPECT_EQ(back.sequence_zero_point, int8.sequence_zero_point);
  ASSERT_EQ(back.convolutions.size(), 3u);
  EXPECT_EQ(back.convolutions[2].width, 5);
  EXPECT_EQ(back.convolutions[2].weights, int8.convolutions[2].weights);
  EXPECT_EQ(back.convolutions[1].bias, int8.convolutions[1].bias);
  EXPECT_EQ(runtime::encode_int8_text_model(back), bytes);
  EXPECT_EQ(back.parameter_count(), int8.parameter_count());

  runtime::Int8TextModel wide = int8;
  wide.convolutions[0].width = kCnnLength + 1;
  EXPECT_STREQ(thrown_error([&] { runtime::encode_int8_text_model(wide); }).what(),
               "int8 text model to encode: convolution 1 has width 13, expected 1 to max_tokens = 12");
  runtime::Int8TextModel short_weights = int8;
  short_weights.convolutions[1].weights.pop_back();
  EXPECT_STREQ(thrown_error([&] { runtime::encode_int8_text_model(short_weights); }).what(),
               "int8 text model to encode: convolution 2: 209 weights, 7 scales and 7 biases for 7 "
               "filters of 3 x 10");
}

TEST(TextCnnInt8Export, FamiliesWithoutAnInt8FormAreRefusedByName) {
  models::ModelSpec spec = cnn_model()->spec();
  spec.kind = models::ModelKind::kTransformer;
  spec.embedding_dim = 8;
  spec.heads = 2;
  spec.layers = 1;
  spec.feed_forward = 8;
  auto transformer = models::build_classifier(spec, 1);
  const Error e = thrown_error([&] {
    quantize_text_classifier(*transformer, cnn_context(), cnn_token_rows(4), Int8ExportOptions{});
  });
  EXPECT_NE(std::string(e.what()).find("the int8 runtime runs text students of type "
                                       "bag_of_embeddings, text_cnn, bilstm; the student is "
                                       "transformer 1x8"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(e.hint(), "use a bag_of_embeddings, text_cnn, bilstm student, or quantize.enabled: false");
  EXPECT_TRUE(has_int8_text_export(models::ModelKind::kTextCnn));
  EXPECT_FALSE(has_int8_text_export(models::ModelKind::kTransformer));
}

}  // namespace
}  // namespace distill::compression
