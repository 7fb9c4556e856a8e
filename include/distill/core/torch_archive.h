// libtorch archives as files: written atomically, read with errors that name the file.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <filesystem>
#include <string>

namespace distill {

/// Serialises `archive` and writes it with write_file_atomically.
void write_archive_file(const std::filesystem::path& path,
                        torch::serialize::OutputArchive& archive);

/// Reads an archive; a missing, truncated or foreign file throws distill::Error naming the path
/// and `kind` ("distill model file", "checkpoint").
torch::serialize::InputArchive read_archive_file(const std::filesystem::path& path,
                                                 const std::string& kind);

/// Throws distill::Error naming `source` and `what` unless every element `tensor` addresses lies
/// within its storage. libtorch's unpickler trusts the sizes, strides and offset a file
/// declares, so call this on every tensor read from a file before touching its data.
void check_tensor_storage(const at::Tensor& tensor, const std::string& source,
                          const std::string& what);

}  // namespace distill
