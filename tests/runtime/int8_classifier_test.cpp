// The int8 classifier with oneDNN kernels held to the same classifier on the reference kernels:
// static and dynamic models, batch 1, odd sizes and batches split across threads.
#include "distill/runtime/int8_classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "distill/core/error.h"
#include "runtime_test_models.h"

namespace distill::runtime {
namespace {

using testing::random_model;
using testing::random_pixels;

/// Logits agree within a few uint8 steps of the last hidden layer (a hidden value on a rounding
/// boundary can round the other way) and the predicted classes almost always agree.
void expect_close_logits(const std::vector<float>& actual, const std::vector<float>& expected,
                         int64_t classes) {
  ASSERT_EQ(actual.size(), expected.size());
  int64_t same_class = 0, rows = static_cast<int64_t>(expected.size()) / classes;
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], 0.05 + 0.01 * std::abs(expected[i])) << "element " << i;
  for (int64_t r = 0; r < rows; ++r) {
    const auto* a = actual.data() + r * classes;
    const auto* e = expected.data() + r * classes;
    same_class += std::max_element(a, a + classes) - a == std::max_element(e, e + classes) - e;
  }
  EXPECT_GE(same_class, rows - std::max<int64_t>(1, rows / 100));
}

struct Case {
  ActivationQuantization activations;
  int64_t batch;
};

class Int8ClassifierTest : public ::testing::TestWithParam<Case> {};

TEST_P(Int8ClassifierTest, OneDnnMatchesReference) {
  const Case c = GetParam();
  const Int8Model model = random_model({64, 32, 16, 5}, c.activations, 3);
  const std::vector<float> x = random_pixels(c.batch * 64);
  std::vector<float> fast(static_cast<size_t>(c.batch * 5)), reference(fast.size());
  Int8Classifier(model, Int8Kernels::kReference).logits(x.data(), c.batch, reference.data());
  Int8Classifier(model, Int8Kernels::kOneDnn, 2).logits(x.data(), c.batch, fast.data());
  expect_close_logits(fast, reference, 5);
}

INSTANTIATE_TEST_SUITE_P(
    Batches, Int8ClassifierTest,
    ::testing::Values(Case{ActivationQuantization::kStatic, 1},
                      Case{ActivationQuantization::kStatic, 7},
                      Case{ActivationQuantization::kStatic, 256},  // split across two threads
                      Case{ActivationQuantization::kDynamic, 1},
                      Case{ActivationQuantization::kDynamic, 100}));

TEST(Int8Classifier, SplitBatchesGiveTheSameLogitsAsOneThread) {
  const Int8Model model = random_model({64, 32, 5}, ActivationQuantization::kStatic, 4);
  const std::vector<float> x = random_pixels(300 * 64, 2);
  std::vector<float> one(300 * 5), two(300 * 5);
  Int8Classifier(model, Int8Kernels::kOneDnn, 1).logits(x.data(), 300, one.data());
  Int8Classifier(model, Int8Kernels::kOneDnn, 2).logits(x.data(), 300, two.data());
  EXPECT_EQ(one, two);
}

TEST(Int8Classifier, CnnOneDnnMatchesReferenceAtEveryBatchSize) {
  const Int8Model model = testing::random_cnn_model(7);
  for (int64_t batch : {1, 3, 100}) {  // 100: split across two threads
    const std::vector<float> x = random_pixels(batch * 64, 8);
    std::vector<float> fast(static_cast<size_t>(batch * 3)), reference(fast.size());
    Int8Classifier(model, Int8Kernels::kReference).logits(x.data(), batch, reference.data());
    Int8Classifier(model, Int8Kernels::kOneDnn, 2).logits(x.data(), batch, fast.data());
    expect_close_logits(fast, reference, 3);
  }
}

TEST(Int8Classifier, CnnLogitsDoNotDependOnTheBatchSplit) {
  const Int8Model model = testing::random_cnn_model(9);
  const std::vector<float> x = random_pixels(128 * 64, 4);
  std::vector<float> one(128 * 3), two(128 * 3), singles(128 * 3);
  Int8Classifier(model, Int8Kernels::kOneDnn, 1).logits(x.data(), 128, one.data());
  Int8Classifier(model, Int8Kernels::kOneDnn, 2).logits(x.data(), 128, two.data());
  Int8Classifier classifier(model, Int8Kernels::kOneDnn, 1);
  for (int64_t i = 0; i < 128; ++i)
    classifier.logits(x.data() + i * 64, 1, singles.data() + i * 3);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, singles);
}

TEST(Int8Classifier, PixelBytesGiveTheSameLogitsAsScaledFloats) {
  Int8Classifier classifier(random_model({64, 16, 4}, ActivationQuantization::kStatic, 5));
  ASSERT_TRUE(classifier.takes_pixel_bytes());
  const std::vector<float> x = random_pixels(40 * 64, 3);
  std::vector<uint8_t> pixels(x.size());
  for (size_t i = 0; i < x.size(); ++i) pixels[i] = static_cast<uint8_t>(std::lround(x[i] * 255));
  std::vector<float> from_floats(40 * 4), from_bytes(40 * 4);
  classifier.logits(x.data(), 40, from_floats.data());
  classifier.logits_from_quantized(pixels.data(), 40, from_bytes.data());
  EXPECT_EQ(from_floats, from_bytes);
}

TEST(Int8Classifier, PredictIsTheArgMax) {
  Int8Classifier classifier(random_model({8, 3}, ActivationQuantization::kStatic, 6),
                            Int8Kernels::kReference);
  const std::vector<float> x = random_pixels(10 * 8, 4);
  std::vector<float> logits(10 * 3);
  classifier.logits(x.data(), 10, logits.data());
  const std::vector<int64_t> classes = classifier.predict(x.data(), 10);
  for (int r = 0; r < 10; ++r)
    EXPECT_EQ(classes[r], std::max_element(&logits[r * 3], &logits[r * 3] + 3) - &logits[r * 3]);
}

TEST(Int8Classifier, DynamicModelsRefuseQuantizedInputs) {
  Int8Classifier classifier(random_model({8, 3}, ActivationQuantization::kDynamic));
  std::vector<uint8_t> x(8);
  std::vector<float> logits(3);
  EXPECT_THROW(classifier.logits_from_quantized(x.data(), 1, logits.data()), Error);
}

}  // namespace
}  // namespace distill::runtime
