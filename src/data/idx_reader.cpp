// IDX parsing: header validation, then one bulk copy of the payload.
#include "distill/data/idx_reader.h"

#include <memory>
#include <string>

#include "distill/core/error.h"
#include "distill/core/gzip_file.h"

namespace distill::data {
namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
constexpr int kMaxDims = 4;
// Guards against headers that announce absurd sizes (and the overflow of their product).
constexpr int64_t kMaxElements = int64_t{1} << 34;

uint32_t read_big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

int64_t IdxArray::element_count() const {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  return count;
}

IdxArray parse_idx_bytes(const std::vector<uint8_t>& bytes, const std::string& source_name) {
  DISTILL_CHECK(bytes.size() >= 4, "IDX file '", source_name, "' is too short: ", bytes.size(),
                " bytes, expected at least a 4-byte magic number");
  DISTILL_CHECK(bytes[0] == 0 && bytes[1] == 0, "IDX file '", source_name,
                "' has a wrong magic number: the first two bytes are ", int{bytes[0]}, ", ",
                int{bytes[1]}, ", expected 0, 0 (is it an IDX file?)");
  DISTILL_CHECK(bytes[2] == kUnsignedByteType, "IDX file '", source_name, "' has element type 0x",
                std::hex, int{bytes[2]}, std::dec, ", expected 0x08 (unsigned byte)");
  const int ndim = bytes[3];
  DISTILL_CHECK(ndim >= 1 && ndim <= kMaxDims, "IDX file '", source_name, "' declares ", ndim,
                " dimensions, expected 1 to ", kMaxDims);
  const size_t header_size = 4 + 4 * static_cast<size_t>(ndim);
  DISTILL_CHECK(bytes.size() >= header_size, "IDX file '", source_name, "' is truncated: ",
                bytes.size(), " bytes, but its header alone needs ", header_size);

  IdxArray array;
  int64_t count = 1;
  for (int i = 0; i < ndim; ++i) {
    const int64_t dim = read_big_endian_u32(bytes.data() + 4 + 4 * i);
    DISTILL_CHECK(dim > 0, "IDX file '", source_name, "': dimension ", i, " is 0");
    // Checked before multiplying, so a hostile header cannot overflow the count.
    DISTILL_CHECK(dim <= kMaxElements / count, "IDX file '", source_name,
                  "': header announces more than ", kMaxElements, " elements");
    count *= dim;
    array.dims.push_back(dim);
  }
  const size_t payload = bytes.size() - header_size;
  DISTILL_CHECK(payload == static_cast<size_t>(count), "IDX file '", source_name, "': header says ",
                count, " bytes of data (dims ", [&] {
                  std::string s;
                  for (size_t i = 0; i < array.dims.size(); ++i)
                    s += (i ? "x" : "") + std::to_string(array.dims[i]);
                  return s;
                }(),
                ") but the file holds ", payload,
                payload < static_cast<size_t>(count) ? " (truncated)" : " (trailing bytes)");
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header_size), bytes.end());
  return array;
}

IdxArray read_idx_file(const std::filesystem::path& path) {
  const std::string bytes = read_maybe_gzipped(
      path, "IDX file",
      "Fashion-MNIST is in the Debian package dataset-fashion-mnist "
      "(apt-get install dataset-fashion-mnist)");
  return parse_idx_bytes(std::vector<uint8_t>(bytes.begin(), bytes.end()), path.string());
}

}  // namespace distill::data
