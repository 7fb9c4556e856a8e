// distill's own container for tensors: model files, checkpoints and soft-label caches. It is
// parsed here, field by field, instead of by libtorch's archive loader, whose TorchScript
// parser and unpickler crash on damaged input (found by fuzz/model_file_fuzz; see
// docs/reliability.md). Layout (little-endian), documented in docs/model-format.md:
//
//   0   "DISTILLT"                 magic
//   8   u32 version (1)
//   12  u32 CRC-32 of bytes [16, end)
//   16  u64 H, the header's length
//   24  header: UTF-8 JSON {"kind", "meta", "tensors": [{"name", "dtype", "shape", "offset"}]}
//   24+H payload: each tensor's elements, row-major, at its offset
//
// Reading checks the magic, version, checksum, the JSON, every dtype, shape (overflow-checked)
// and extent against the payload before touching any tensor data.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace distill {

inline constexpr uint32_t kTensorFileVersion = 1;

struct TensorFile {
  /// What the file holds ("distill-model", "distill-checkpoint", "distill-soft-labels").
  std::string kind;
  /// Free-form JSON object text (architecture, metadata, progress records).
  std::string meta_json = "{}";
  /// Named tensors (float32, float16 or int64; contiguous copies are stored).
  std::vector<std::pair<std::string, at::Tensor>> tensors;

  /// The tensor `name`; throws distill::Error naming `source` when absent.
  const at::Tensor& get(const std::string& name, const std::string& source) const;
  bool has(const std::string& name) const;
};

std::string encode_tensor_file(const TensorFile& file);
/// Throws distill::Error naming `source` and the broken field for anything but a complete,
/// consistent file of `expected_kind`.
TensorFile decode_tensor_file(const std::string& bytes, const std::string& source,
                              const std::string& expected_kind);

/// Encodes and writes atomically.
void write_tensor_file(const std::filesystem::path& path, const TensorFile& file);
TensorFile read_tensor_file(const std::filesystem::path& path, const std::string& expected_kind);

/// Whether the bytes start like a tensor file (the magic), for telling formats apart.
bool looks_like_tensor_file(const std::string& bytes);

}  // namespace distill
