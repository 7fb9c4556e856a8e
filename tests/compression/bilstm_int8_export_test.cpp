// The int8 BiLSTM text student: the runtime's final states and logits equal libtorch's
// computation of the same int8 model (fake-quantized inputs and states, dequantized gate
// weights, the cell step by step), its reference and oneDNN GEMMs agree, it stays close to the
// fp32 student, padding does not change a text's logits, and its file round-trips and names
// what is wrong in a bad one.
#include "distill/compression/bilstm_int8_export.h"

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

constexpr int64_t kLstmLength = 10;

std::shared_ptr<models::BiLstm> lstm_model(int64_t layers) {
  models::ModelSpec spec;
  spec.kind = models::ModelKind::kBiLstm;
  spec.input_shape = {kLstmLength};
  spec.num_classes = 4;
  spec.vocab_size = 50;
  spec.embedding_dim = 12;
  spec.hidden = {9};
  spec.layers = layers;
  auto model = std::dynamic_pointer_cast<models::BiLstm>(models::build_classifier(spec, 4));
  model->eval();
  return model;
}

at::Tensor lstm_token_rows(int64_t n) { return testing::token_rows(n, kLstmLength); }

TextModelContext lstm_context() { return testing::text_context(kLstmLength); }

class BiLstmInt8Export : public ::testing::TestWithParam<int64_t> {};

TEST_P(BiLstmInt8Export, RuntimeEqualsLibtorchsComputationOfTheSameInt8Model) {
  at::manual_seed(3);
  auto model = lstm_model(GetParam());
  const at::Tensor ids = lstm_token_rows(48);
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, lstm_context(), ids, Int8ExportOptions{});
  ASSERT_EQ(int8.encoder, runtime::TextEncoder::kRecurrent);
  ASSERT_EQ(int8.head_input_width(), 18);

  const at::Tensor logits = testing::expect_runtime_matches(
      int8, ids, simulate_recurrent_states(int8, ids), model->forward(ids), 45);

  // A text alone and unpadded reads as it does inside the padded batch.
  const at::Tensor first = ids[3].narrow(0, 0, 5).contiguous();  // <cls> and 4 tokens
  std::vector<float> alone(4);
  runtime::Int8TextRunner runner(int8);
  runner.logits(first.data_ptr<int64_t>(), 1, 5, alone.data());
  EXPECT_TRUE(at::allclose(at::tensor(alone), logits[3], 1e-5, 1e-6));
}

// Slices of a batch on several threads, each with its own buffers: one thread's reference states.
TEST_P(BiLstmInt8Export, ThreadsSharingABatchsSlicesGiveTheReferenceStates) {
  at::manual_seed(9);
  auto model = lstm_model(GetParam());
  const at::Tensor ids = lstm_token_rows(200);
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, lstm_context(), ids.narrow(0, 0, 48), Int8ExportOptions{});
  testing::expect_threads_match_reference(int8, ids);
}

// A batch large enough that the input products run a step or two at a time (the runner projects
// about 256 KB of a slice's steps per GEMM: 2,400 texts × 4·9 gates × 4 bytes is 346 KB a step
// on one thread, 115 KB on each of three), texts of 1 to 9 tokens leaving the batch as it goes:
// each text's final states are the ones it gets in a batch of 48, whose every step is projected
// in one GEMM — on either kernels, on 1 to 3 threads. (Integer products and the same cell
// arithmetic: equal to float rounding. Against libtorch's simulation and across kernels the
// 48-text tests above hold; over 2,400 texts the fast and reference cells, ~1e-7 apart, round a
// few of the 432,000 quantized states to neighbouring codes.)
TEST_P(BiLstmInt8Export, ALargeBatchProjectsItsInputsAFewStepsAtATime) {
  at::manual_seed(5);
  auto model = lstm_model(GetParam());
  const int64_t n = 2400, small = 48;
  const at::Tensor ids = lstm_token_rows(n);
  const runtime::Int8TextModel int8 = quantize_text_classifier(
      *model, lstm_context(), ids.narrow(0, 0, small), Int8ExportOptions{});
  const int64_t width = int8.head_input_width();
  for (const runtime::Int8Kernels kernels :
       {runtime::Int8Kernels::kOneDnn, runtime::Int8Kernels::kReference}) {
    at::Tensor in_small_batches = at::empty({n, width});
    runtime::Int8TextRunner one_thread(int8, 1, kernels);
    for (int64_t first = 0; first < n; first += small)
      one_thread.pool(ids[first].data_ptr<int64_t>(), small, kLstmLength,
                      in_small_batches[first].data_ptr<float>());
    for (int threads : {1, 3}) {
      at::Tensor pooled = at::full({n, width}, -1.0f);
      runtime::Int8TextRunner(int8, threads, kernels)
          .pool(ids.data_ptr<int64_t>(), n, kLstmLength, pooled.data_ptr<float>());
      EXPECT_TRUE(at::allclose(pooled, in_small_batches, 1e-6, 1e-6))
          << threads << " threads, "
          << (kernels == runtime::Int8Kernels::kOneDnn ? "oneDNN" : "reference") << ": "
          << (pooled - in_small_batches).abs().max();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, BiLstmInt8Export, ::testing::Values(1, 2),
                         [](const auto& info) { return std::to_string(info.param) + "_layers"; });

TEST(BiLstmInt8File, RoundTripsAndNamesWhatIsWrong) {
  at::manual_seed(4);
  auto model = lstm_model(2);
  const runtime::Int8TextModel int8 =
      quantize_text_classifier(*model, lstm_context(), lstm_token_rows(16), Int8ExportOptions{});
  const std::string bytes = runtime::encode_int8_text_model(int8);
  const runtime::Int8TextModel back = runtime::decode_int8_text_model(bytes, "m.int8text");
  EXPECT_EQ(back.encoder, runtime::TextEncoder::kRecurrent);
  EXPECT_EQ(back.lstm_units, 9);
  ASSERT_EQ(back.lstm.size(), 4u);
  EXPECT_EQ(back.lstm[3].recurrent_weights, int8.lstm[3].recurrent_weights);
  EXPECT_EQ(back.lstm[2].bias, int8.lstm[2].bias);
  EXPECT_EQ(runtime::encode_int8_text_model(back), bytes);
  int64_t fp32_parameters = 0;
  for (const auto& p : model->parameters()) fp32_parameters += p.numel();
  // The two LSTM biases of each direction are stored summed: 4H fewer values per direction.
  EXPECT_EQ(back.parameter_count(), fp32_parameters - 4 * 4 * 9);

  runtime::Int8TextModel odd = int8;
  odd.lstm.pop_back();
  EXPECT_STREQ(
      thrown_error([&] { runtime::encode_int8_text_model(odd); }).what(),
      "int8 text model to encode: 3 LSTM directions, expected 2 per layer, 1 to 16 layers");
  runtime::Int8TextModel short_weights = int8;
  short_weights.lstm[2].input_weights.pop_back();
  EXPECT_STREQ(thrown_error([&] { runtime::encode_int8_text_model(short_weights); }).what(),
               "int8 text model to encode: LSTM layer 2 forward: 647 input and 324 recurrent "
               "weights, 36 + 36 scales and 36 biases; expected 36 x 18, 36 x 9 and 36 of each");
}

}  // namespace
}  // namespace distill::compression
