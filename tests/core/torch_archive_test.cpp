// check_tensor_storage: a tensor read from a file must lie within its storage. libtorch's
// unpickler sets the sizes, strides and offset a file declares without checking them; these
// tests build such tensors the same way (TensorImpl setters) and check the bounds arithmetic.
#include "distill/core/torch_archive.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "distill/core/error.h"

namespace distill {
namespace {

/// A view of a 12-float storage with the given geometry, unchecked, as the unpickler makes it.
at::Tensor declared_view(std::vector<int64_t> sizes, std::vector<int64_t> strides, int64_t offset) {
  at::Tensor t = at::zeros({12});
  t.unsafeGetTensorImpl()->set_storage_offset(offset);
  t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides);
  return t;
}

TEST(TensorStorage, AcceptsTensorsAndViewsInsideTheirStorage) {
  EXPECT_NO_THROW(check_tensor_storage(at::zeros({3, 4}), "f", "t"));
  EXPECT_NO_THROW(check_tensor_storage(declared_view({3, 4}, {4, 1}, 0), "f", "t"));
  EXPECT_NO_THROW(check_tensor_storage(declared_view({4}, {3}, 2), "f", "t"));     // last: 11
  EXPECT_NO_THROW(check_tensor_storage(declared_view({2, 2}, {0, 1}, 10), "f", "t"));  // broadcast
  EXPECT_NO_THROW(check_tensor_storage(declared_view({0, 1000}, {1000, 1}, 0), "f", "t"));  // empty
  EXPECT_NO_THROW(check_tensor_storage(at::Tensor(), "f", "t"));
}

TEST(TensorStorage, RejectsViewsReachingPastTheStorage) {
  EXPECT_THROW(check_tensor_storage(declared_view({13}, {1}, 0), "f", "t"), Error);
  EXPECT_THROW(check_tensor_storage(declared_view({4}, {3}, 3), "f", "t"), Error);  // last: 12
  EXPECT_THROW(check_tensor_storage(declared_view({1}, {1}, 12), "f", "t"), Error);
  try {
    check_tensor_storage(declared_view({3, 5}, {5, 1}, 0), "model.pt", "weight tensor 2");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("model.pt"), std::string::npos) << message;
    EXPECT_NE(message.find("weight tensor 2"), std::string::npos) << message;
    EXPECT_NE(message.find("48-byte storage"), std::string::npos) << message;
  }
}

TEST(TensorStorage, RejectsOverflowingGeometry) {
  // (libtorch itself refuses shapes whose element count overflows, and turns negative strides
  // into contiguous ones, so an overflowing stride is what a file can still declare.)
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_THROW(check_tensor_storage(declared_view({3}, {huge}, 0), "f", "t"), Error);
  EXPECT_THROW(check_tensor_storage(declared_view({2}, {1}, huge), "f", "t"), Error);
}

}  // namespace
}  // namespace distill
