// Tensor files: exact round trips, and a clear error — never a crash or a read past the end —
// for truncated, corrupted, foreign or lying files (including ones whose checksum was fixed up).
#include "distill/core/tensor_file.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <cstring>

#include "distill/core/checksum.h"
#include "distill/core/error.h"
#include "test_support.h"

namespace distill {
namespace {

TensorFile sample() {
  TensorFile file;
  file.kind = "test-kind";
  file.meta_json = R"({"answer":42})";
  file.tensors = {{"weights", at::randn({3, 4})},
                  {"half", at::randn({5}).to(at::kHalf)},
                  {"counts", at::arange(6, at::kLong).view({2, 3})},
                  {"scalar", at::full({}, 2.5f)},
                  {"empty", at::zeros({0, 7})}};
  return file;
}

/// Re-seals the checksum after an edit, so the edit reaches the validation behind it.
std::string resealed(std::string bytes) {
  const uint32_t crc = crc32_of(bytes.data() + 16, bytes.size() - 16);
  std::memcpy(bytes.data() + 12, &crc, 4);
  return bytes;
}

/// The bytes with the header replaced by `header` (checksum re-sealed).
std::string with_header(const std::string& bytes, const std::string& header) {
  uint64_t size = 0;
  std::memcpy(&size, bytes.data() + 16, 8);
  std::string out = bytes.substr(0, 16);
  const uint64_t new_size = header.size();
  out.append(reinterpret_cast<const char*>(&new_size), 8);
  out += header;
  out += bytes.substr(24 + size);
  return resealed(out);
}

std::string error_of(const std::string& bytes) {
  try {
    decode_tensor_file(bytes, "f.bin", "test-kind");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TensorFile, RoundTripIsExact) {
  const TensorFile file = sample();
  const TensorFile back = decode_tensor_file(encode_tensor_file(file), "f.bin", "test-kind");
  EXPECT_EQ(back.meta_json, file.meta_json);
  ASSERT_EQ(back.tensors.size(), file.tensors.size());
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, file.tensors[i].first);
    EXPECT_TRUE(back.tensors[i].second.equal(file.tensors[i].second)) << file.tensors[i].first;
  }
  EXPECT_THROW(back.get("missing", "f.bin"), Error);
}

TEST(TensorFile, EveryTruncationAndBitFlipIsAClearError) {
  const std::string bytes = encode_tensor_file(sample());
  for (size_t n = 0; n < bytes.size(); n += 7) EXPECT_NE(error_of(bytes.substr(0, n)), "") << n;
  for (size_t i = 0; i < bytes.size(); i += 13) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    EXPECT_NE(error_of(flipped), "") << "flip at " << i;
  }
  EXPECT_NE(error_of(bytes.substr(0, 40)).find("damaged"), std::string::npos);
}

TEST(TensorFile, ForeignFilesAndOtherKindsAreNamed) {
  EXPECT_NE(error_of("PK\x03\x04 zip bytes").find("zip archive"), std::string::npos);
  TensorFile other = sample();
  other.kind = "something-else";
  EXPECT_NE(error_of(encode_tensor_file(other)).find("holds a something-else"), std::string::npos);
}

TEST(TensorFile, HeadersThatLieAreRefusedEvenWithAValidChecksum) {
  const std::string bytes = encode_tensor_file(sample());
  auto header = [](const std::string& tensor) {
    return R"({"kind":"test-kind","meta":{},"tensors":[)" + tensor + "]}";
  };
  // Past the payload, overflowing shapes, negative sizes, unknown types, duplicates, bad JSON.
  EXPECT_NE(error_of(with_header(bytes, header(R"({"name":"a","dtype":"float32","shape":[4],"offset":1000000})")))
                .find("reaches past"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, header(R"({"name":"a","dtype":"float32","shape":[4611686018427387904,4],"offset":0})")))
                .find("does not fit"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, header(R"({"name":"a","dtype":"float32","shape":[-1],"offset":0})"))), "");
  EXPECT_NE(error_of(with_header(bytes, header(R"({"name":"a","dtype":"complex","shape":[1],"offset":0})")))
                .find("unknown dtype"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, header(R"({"name":"a","dtype":"int64","shape":[1],"offset":0},{"name":"a","dtype":"int64","shape":[1],"offset":0})")))
                .find("twice"),
            std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, "{not json")).find("malformed header"), std::string::npos);
  EXPECT_NE(error_of(with_header(bytes, R"({"kind":"test-kind","meta":3,"tensors":[]})")), "");
}

TEST(TensorFile, WritesAtomically) {
  testing::TempDir dir;
  write_tensor_file(dir / "t.bin", sample());
  EXPECT_EQ(read_tensor_file(dir / "t.bin", "test-kind").tensors.size(), 5u);
  EXPECT_THROW(read_tensor_file(dir / "missing.bin", "test-kind"), Error);
}

}  // namespace
}  // namespace distill
