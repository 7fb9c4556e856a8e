// The int8 model file: exact round trip, and a clear error for every kind of damage (the loader
// reads nothing outside the buffer; the fuzz target hammers the same code).
#include "distill/runtime/int8_model_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <functional>
#include <tuple>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/core/error.h"
#include "runtime_test_models.h"
#include "test_support.h"
#include "error_assertions.h"

namespace distill::runtime {
namespace {

using ::distill::testing::thrown_error;

using testing::random_model;

std::string error_of(const std::string& bytes) {
  try {
    decode_int8_model(bytes, "m.int8");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

/// Rebuilds a file around `header` (with a correct checksum), keeping `bytes`'s payload.
std::string with_header(const std::string& bytes, const nlohmann::json& header) {
  uint32_t old_header_length;
  std::memcpy(&old_header_length, bytes.data() + 12, 4);
  const std::string payload = bytes.substr(32 + old_header_length);
  const std::string text = header.dump();
  std::string out = bytes.substr(0, 32) + text + payload;
  const uint32_t length = static_cast<uint32_t>(text.size());
  std::memcpy(&out[12], &length, 4);
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data() + 32), out.size() - 32));
  std::memcpy(&out[24], &crc, 4);
  return out;
}

nlohmann::json header_of(const std::string& bytes) {
  uint32_t length;
  std::memcpy(&length, bytes.data() + 12, 4);
  return nlohmann::json::parse(bytes.substr(32, length));
}

class Int8ModelFileTest : public ::testing::Test {
 protected:
  Int8Model model = random_model({12, 7, 3}, ActivationQuantization::kStatic);
  std::string bytes = encode_int8_model(model);
};

TEST_F(Int8ModelFileTest, RoundTripsExactly) {
  const Int8Model back = decode_int8_model(bytes, "m.int8");
  EXPECT_EQ(back.input_shape, model.input_shape);
  EXPECT_EQ(back.num_classes, model.num_classes);
  EXPECT_EQ(back.input_scale, model.input_scale);
  EXPECT_EQ(back.description, model.description);
  ASSERT_EQ(back.layers.size(), model.layers.size());
  for (size_t i = 0; i < model.layers.size(); ++i) {
    EXPECT_EQ(back.layers[i].weights, model.layers[i].weights);
    EXPECT_EQ(back.layers[i].weight_scales, model.layers[i].weight_scales);
    EXPECT_EQ(back.layers[i].bias, model.layers[i].bias);
    EXPECT_EQ(back.layers[i].relu, model.layers[i].relu);
    EXPECT_EQ(back.layers[i].output_scale, model.layers[i].output_scale);
  }
  EXPECT_EQ(encode_int8_model(back), bytes);
}

TEST(Int8ModelFile, CnnRoundTripsExactlyAsVersion2) {
  const Int8Model model = testing::random_cnn_model(3);
  const std::string bytes = encode_int8_model(model);
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  EXPECT_EQ(version, 2u);
  const Int8Model back = decode_int8_model(bytes, "cnn.int8");
  ASSERT_EQ(back.convolutions.size(), model.convolutions.size());
  for (size_t i = 0; i < model.convolutions.size(); ++i) {
    const QuantizedConvLayer &a = back.convolutions[i], &b = model.convolutions[i];
    EXPECT_EQ(a.weights, b.weights);
    EXPECT_EQ(a.weight_scales, b.weight_scales);
    EXPECT_EQ(a.bias, b.bias);
    EXPECT_EQ(std::tie(a.in_channels, a.out_channels, a.kernel, a.stride, a.padding, a.groups,
                       a.pad_value, a.output_zero_point, a.input, a.residual),
              std::tie(b.in_channels, b.out_channels, b.kernel, b.stride, b.padding, b.groups,
                       b.pad_value, b.output_zero_point, b.input, b.residual));
    EXPECT_EQ(a.activation, b.activation);
    EXPECT_EQ(a.output_scale, b.output_scale);
  }
  EXPECT_EQ(back.pooled_scale, model.pooled_scale);
  EXPECT_EQ(encode_int8_model(back), bytes);
  for (size_t size = 0; size < bytes.size(); size += 5)
    EXPECT_THROW(decode_int8_model(bytes.substr(0, size), "cnn.int8"), Error) << size;
  // An MLP file stays at version 1, readable by builds from before convolutions.
  EXPECT_EQ(encode_int8_model(random_model({4, 3}, ActivationQuantization::kStatic))[8], 1);
}

TEST(Int8ModelFile, CnnHeaderDamageIsNamed) {
  const std::string bytes = encode_int8_model(testing::random_cnn_model(3));
  nlohmann::json header = header_of(bytes);
  auto error_with = [&](const std::function<void(nlohmann::json&)>& damage) {
    nlohmann::json h = header;
    damage(h);
    return error_of(with_header(bytes, h));
  };
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["convolutions"][2]["residual"] = 5; }),
            "int8 model 'm.int8': convolution 3 adds output 5, expected -1 (none) or an earlier "
            "convolution");
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["convolutions"][4]["residual"] = 0; }),
            "int8 model 'm.int8': convolution 5 (8x4x4) adds convolution 1 of another shape "
            "(4x8x8)");
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["convolutions"][1]["activation"] = "gelu"; }),
            "int8 model 'm.int8': header field 'convolutions[1].activation' must be \"none\", "
            "\"relu\" or \"relu6\", got \"gelu\"");
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["convolutions"][0]["kernel"] = 40; }),
            "int8 model 'm.int8': header field 'convolutions[0].kernel' is 40, expected 1 to 15");
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["convolutions"][5]["activation"] = "none"; }),
            "int8 model 'm.int8': the last convolution must end in ReLU or ReLU6 (its pooled "
            "output is uint8 with zero point 0)");
  EXPECT_EQ(error_with([](nlohmann::json& h) { h["input_shape"] = {64}; }),
            "int8 model 'm.int8': a CNN's input shape must be (channels, height, width), got 1 "
            "dimensions");
}

TEST_F(Int8ModelFileTest, EveryTruncationIsRejected) {
  for (size_t size = 0; size < bytes.size(); ++size)
    ASSERT_NE(error_of(bytes.substr(0, size)), "no error") << "truncated to " << size << " bytes";
  EXPECT_EQ(error_of(bytes.substr(0, 10)),
            "int8 model 'm.int8' is 10 bytes, shorter than the 32-byte preamble");
}

TEST_F(Int8ModelFileTest, PreambleDamageIsNamed) {
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_EQ(error_of(bad), "int8 model 'm.int8' does not start with the magic \"DSTLINT8\"");
  bad = bytes;
  bad[8] = 3;
  EXPECT_EQ(error_of(bad),
            "int8 model 'm.int8' has format version 3; this build reads versions 1 to 2");
  EXPECT_NE(error_of(bytes + "x").find("but its preamble announces 32 + "), std::string::npos)
      << error_of(bytes + "x");
  bad = bytes;
  bad[bad.size() - 1] ^= 0x40;
  EXPECT_NE(error_of(bad).find("checksum mismatch"), std::string::npos) << error_of(bad);
}

TEST_F(Int8ModelFileTest, HeaderDamageBehindAValidChecksumIsNamed) {
  nlohmann::json h = header_of(bytes);
  h["layers"][0].erase("bias");
  EXPECT_EQ(error_of(with_header(bytes, h)),
            "int8 model 'm.int8': header field 'layers[0].bias' is missing");

  h = header_of(bytes);
  h["layers"][0]["weights"]["offset"] = 1 << 20;
  EXPECT_NE(error_of(with_header(bytes, h)).find("spans bytes 1048576 to"), std::string::npos);

  h = header_of(bytes);
  h["layers"][0]["weights"]["bytes"] = 5;
  EXPECT_EQ(error_of(with_header(bytes, h)),
            "int8 model 'm.int8': header field 'layers[0].weights' holds 5 bytes, expected 84 "
            "(84 values of 1 bytes)");

  h = header_of(bytes);
  h["layers"][1]["in_features"] = 8;
  EXPECT_NE(error_of(with_header(bytes, h)).find("holds"), std::string::npos);

  h = header_of(bytes);
  h["num_classes"] = "three";
  EXPECT_EQ(error_of(with_header(bytes, h)),
            "int8 model 'm.int8': header field 'num_classes' must be an integer, got \"three\"");

  h = header_of(bytes);
  h["input"]["zero_point"] = 300;
  EXPECT_EQ(error_of(with_header(bytes, h)),
            "int8 model 'm.int8': header field 'input.zero_point' must be in [0, 255], got 300");

  h = header_of(bytes);
  h["layers"][1]["relu"] = true;
  EXPECT_EQ(error_of(with_header(bytes, h)),
            "int8 model 'm.int8': layer 2 (the logits) must not end with ReLU");
}

TEST_F(Int8ModelFileTest, InvalidJsonIsReported) {
  std::string bad = bytes;
  uint32_t length;
  std::memcpy(&length, bad.data() + 12, 4);
  bad[32] = '[';  // still checksummed below
  const uint32_t crc = static_cast<uint32_t>(crc32(
      crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bad.data() + 32), bad.size() - 32));
  std::memcpy(&bad[24], &crc, 4);
  EXPECT_NE(error_of(bad).find("header is not valid JSON"), std::string::npos) << error_of(bad);
}

TEST_F(Int8ModelFileTest, ModelsThatDoNotChainAreRefusedWhenEncoding) {
  Int8Model broken = model;
  broken.layers[1].in_features = 6;
  const Error e = thrown_error([&] { encode_int8_model(broken); });
  EXPECT_STREQ(e.what(), "int8 model 'to encode': layer 2 takes 6 features but receives 7");
}

TEST(Int8ModelFile, MissingFileGivesPathAndHint) {
  const Error e = thrown_error([&] { load_int8_model("/nonexistent/m.int8"); });
  EXPECT_STREQ(e.what(), "cannot open int8 model '/nonexistent/m.int8'");
  EXPECT_EQ(e.hint(), "check the path; `distill quantize` writes int8 models");
}

}  // namespace
}  // namespace distill::runtime
