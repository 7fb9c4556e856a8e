// Reader for the IDX format (MNIST, Fashion-MNIST), gzipped or plain, validating every field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace distill::data {

/// An IDX array of unsigned bytes: dims as in the header, data in row-major order.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;

  int64_t element_count() const;
};

/// Reads an IDX file of unsigned bytes (type code 0x08), gzipped or not (detected from the
/// content). Validates the magic number, the number of dimensions (1 to 4), every dimension
/// (> 0) and that the file holds exactly the bytes the header announces. Throws distill::Error
/// naming the file, what the header says and what was found.
IdxArray read_idx_file(const std::filesystem::path& path);

/// Parses IDX bytes already in memory; `source_name` is used in error messages.
IdxArray parse_idx_bytes(const std::vector<uint8_t>& bytes, const std::string& source_name);

}  // namespace distill::data
