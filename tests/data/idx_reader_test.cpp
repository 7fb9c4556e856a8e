// The IDX reader on the real Fashion-MNIST files and on damaged ones.
#include "distill/data/idx_reader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"
#include "distill/data/idx_dataset.h"
#include "test_support.h"

namespace distill::data {
namespace {

using testing::TempDir;
using testing::write_bytes;

std::string idx_header(uint8_t type, std::vector<uint32_t> dims) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  return bytes;
}

std::string idx_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool fashion_mnist_installed() {
  return std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz");
}

TEST(IdxReader, ReadsRealFashionMnistTestSet) {
  if (!fashion_mnist_installed()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const Dataset test = load_fashion_mnist(kFashionMnistDir, /*train=*/false);
  EXPECT_EQ(test.features.sizes(), (at::IntArrayRef{10000, 1, 28, 28}));
  EXPECT_EQ(test.num_classes, 10);
  // Known facts of the t10k split: first label is 9 (ankle boot); 1000 images per class.
  EXPECT_EQ(test.labels[0].item<int64_t>(), 9);
  EXPECT_TRUE(at::bincount(test.labels).eq(1000).all().item<bool>());
  EXPECT_GE(test.features.min().item<float>(), 0.0f);
  EXPECT_LE(test.features.max().item<float>(), 1.0f);
  EXPECT_EQ(test.class_names.at(9), "Ankle boot");
}

TEST(IdxReader, ReadsPlainAndGzippedFilesAlike) {
  TempDir dir;
  std::string bytes = idx_header(0x08, {2, 3});
  bytes += std::string{1, 2, 3, 4, 5, 6};
  write_bytes(dir / "plain.idx", bytes);
  gzFile gz = gzopen((dir / "packed.idx.gz").c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  for (const char* name : {"plain.idx", "packed.idx.gz"}) {
    const IdxArray a = read_idx_file(dir / name);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3})) << name;
    EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6})) << name;
  }
}

TEST(IdxReader, RejectsWrongMagic) {
  std::vector<uint8_t> bytes = {0x50, 0x4B, 0x08, 0x01, 0, 0, 0, 1, 7};
  EXPECT_EQ(idx_error_of([&] { parse_idx_bytes(bytes, "x.idx"); }),
            "IDX file 'x.idx' has a wrong magic number: the first two bytes are 80, 75, expected 0, "
            "0 (is it an IDX file?)");
}

TEST(IdxReader, RejectsUnsupportedElementType) {
  const std::string header = idx_header(0x0D, {1});
  std::vector<uint8_t> bytes(header.begin(), header.end());
  bytes.resize(bytes.size() + 4);
  EXPECT_EQ(idx_error_of([&] { parse_idx_bytes(bytes, "f.idx"); }),
            "IDX file 'f.idx' has element type 0xd, expected 0x08 (unsigned byte)");
}

TEST(IdxReader, RejectsTruncatedAndOverlongPayloads) {
  const std::string header = idx_header(0x08, {2, 2});
  std::vector<uint8_t> short_bytes(header.begin(), header.end());
  short_bytes.push_back(1);
  EXPECT_EQ(idx_error_of([&] { parse_idx_bytes(short_bytes, "t.idx"); }),
            "IDX file 't.idx': header says 4 bytes of data (dims 2x2) but the file holds 1 (truncated)");
  std::vector<uint8_t> long_bytes(header.begin(), header.end());
  long_bytes.resize(long_bytes.size() + 5);
  EXPECT_EQ(idx_error_of([&] { parse_idx_bytes(long_bytes, "t.idx"); }),
            "IDX file 't.idx': header says 4 bytes of data (dims 2x2) but the file holds 5 (trailing bytes)");
}

TEST(IdxReader, RejectsTruncatedHeaderAndBadDimensions) {
  EXPECT_EQ(idx_error_of([] { parse_idx_bytes({0, 0}, "h.idx"); }),
            "IDX file 'h.idx' is too short: 2 bytes, expected at least a 4-byte magic number");
  EXPECT_EQ(idx_error_of([] { parse_idx_bytes({0, 0, 8, 3, 0, 0}, "h.idx"); }),
            "IDX file 'h.idx' is truncated: 6 bytes, but its header alone needs 16");
  EXPECT_EQ(idx_error_of([] { parse_idx_bytes({0, 0, 8, 9}, "h.idx"); }),
            "IDX file 'h.idx' declares 9 dimensions, expected 1 to 4");
  const std::string zero = idx_header(0x08, {0});
  EXPECT_EQ(idx_error_of([&] { parse_idx_bytes({zero.begin(), zero.end()}, "h.idx"); }),
            "IDX file 'h.idx': dimension 0 is 0");
  // A hostile header announcing 2^32 x 2^32 elements must not overflow or allocate.
  const std::string huge = idx_header(0x08, {0xFFFFFFFF, 0xFFFFFFFF});
  EXPECT_NE(idx_error_of([&] { parse_idx_bytes({huge.begin(), huge.end()}, "h.idx"); })
                .find("more than"),
            std::string::npos);
}

TEST(IdxReader, RejectsCorruptGzip) {
  TempDir dir;
  std::string bytes = idx_header(0x08, {1000});
  bytes += std::string(1000, 'x');
  const auto path = dir / "cut.gz";
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
  std::string packed = read_file_bytes(path);
  write_bytes(path, packed.substr(0, packed.size() / 2));
  const std::string message = idx_error_of([&] { read_idx_file(path); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(IdxReader, MissingFileGivesInstallHint) {
  try {
    read_idx_file("/nonexistent/train-images-idx3-ubyte.gz");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot read IDX file '/nonexistent/train-images-idx3-ubyte.gz': no such file");
    EXPECT_NE(e.hint().find("dataset-fashion-mnist"), std::string::npos);
  }
}

TEST(IdxDataset, RejectsLabelsOutOfRangeAndCountMismatch) {
  TempDir dir;
  write_bytes(dir / "images", idx_header(0x08, {2, 2, 2}) + std::string(8, '\1'));
  write_bytes(dir / "labels", idx_header(0x08, {2}) + std::string{3, 12});
  EXPECT_EQ(idx_error_of([&] { load_idx_dataset(dir / "images", dir / "labels", 10); }),
            "IDX label file '" + (dir / "labels").string() +
                "' holds label 12 but the dataset has 10 classes (labels 0 to 9)");
  write_bytes(dir / "labels3", idx_header(0x08, {3}) + std::string{1, 2, 3});
  EXPECT_EQ(idx_error_of([&] { load_idx_dataset(dir / "images", dir / "labels3", 10); }),
            "IDX files disagree: '" + (dir / "images").string() + "' holds 2 images but '" +
                (dir / "labels3").string() + "' holds 3 labels");
}

}  // namespace
}  // namespace distill::data
