// Reading and writing the runtime's binary files: numbers at fixed offsets, arrays appended to a
// payload at aligned offsets, and a JSON header read with errors that name the field. Shared by
// the int8 model file and the int8 text model file. Private to the runtime.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "distill/core/checksum.h"
#include "distill/core/error.h"

namespace distill::runtime::file_fields {

using nlohmann::json;

constexpr size_t kAlignment = 64;

// The preamble every runtime file starts with:
//   offset  size  field
//        0     8  magic
//        8     4  format version (uint32, little-endian)
//       12     4  header length H in bytes (uint32), at most 1 MiB
//       16     8  payload length P in bytes (uint64); the file is exactly 32 + H + P bytes
//       24     4  CRC-32 (zlib) of the H + P bytes that follow the preamble
//       28     4  reserved, 0
//       32     H  header, JSON
//   32 + H     P  payload: each array at the offset the header gives, 64-byte aligned
constexpr size_t kPreambleBytes = 32;
constexpr uint32_t kMaxHeaderBytes = 1u << 20;

template <typename T>
void put(std::string& out, size_t offset, T value) {
  std::memcpy(&out[offset], &value, sizeof(T));
}

template <typename T>
T get(const std::string& in, size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof(T));
  return value;
}


/// Appends an array to the payload at the next aligned offset; returns {"offset", "bytes"}.
template <typename T>
json append_array(std::string& payload, const std::vector<T>& values) {
  payload.resize((payload.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  const size_t offset = payload.size();
  const size_t bytes = values.size() * sizeof(T);
  payload.append(reinterpret_cast<const char*>(values.data()), bytes);
  return json{{"offset", offset}, {"bytes", bytes}};
}

/// Reads header fields with errors that name the field and what was expected.
class HeaderReader {
 public:
  HeaderReader(const json& node, std::string path, const std::string& source)
      : node_(node), path_(std::move(path)), source_(source) {}

  const json& field(const std::string& key) const {
    DISTILL_CHECK(node_.is_object() && node_.contains(key), where(key), " is missing");
    return node_.at(key);
  }
  int64_t integer(const std::string& key) const {
    const json& v = field(key);
    DISTILL_CHECK(v.is_number_integer(), where(key), " must be an integer, got ", v.dump());
    return v.get<int64_t>();
  }
  double number(const std::string& key) const {
    const json& v = field(key);
    DISTILL_CHECK(v.is_number(), where(key), " must be a number, got ", v.dump());
    return v.get<double>();
  }
  bool boolean(const std::string& key) const {
    const json& v = field(key);
    DISTILL_CHECK(v.is_boolean(), where(key), " must be true or false, got ", v.dump());
    return v.get<bool>();
  }
  std::string text(const std::string& key) const {
    const json& v = field(key);
    DISTILL_CHECK(v.is_string(), where(key), " must be a string, got ", v.dump());
    return v.get<std::string>();
  }
  HeaderReader child(const std::string& key) const {
    const json& v = field(key);
    DISTILL_CHECK(v.is_object(), where(key), " must be an object");
    return HeaderReader(v, path_ + key + ".", source_);
  }
  std::string where(const std::string& key) const {
    return "int8 model '" + source_ + "': header field '" + path_ + key + "'";
  }
  const json& node() const { return node_; }

 private:
  const json& node_;
  std::string path_;
  const std::string& source_;
};

/// Copies `count` elements of T from the payload span the header describes, after checking the
/// span lies inside the payload and holds exactly that many bytes.
template <typename T>
std::vector<T> read_array(const HeaderReader& parent, const std::string& key, int64_t count,
                          const char* payload, uint64_t payload_bytes) {
  const HeaderReader span = parent.child(key);
  const int64_t offset = span.integer("offset"), bytes = span.integer("bytes");
  DISTILL_CHECK(count >= 0 && count <= std::numeric_limits<int64_t>::max() / int64_t(sizeof(T)),
                parent.where(key), ": element count ", count, " is out of range");
  const int64_t expected = count * static_cast<int64_t>(sizeof(T));
  DISTILL_CHECK(bytes == expected, parent.where(key), " holds ", bytes, " bytes, expected ",
                expected, " (", count, " values of ", sizeof(T), " bytes)");
  DISTILL_CHECK(offset >= 0 && static_cast<uint64_t>(offset) <= payload_bytes &&
                    static_cast<uint64_t>(bytes) <= payload_bytes - static_cast<uint64_t>(offset),
                parent.where(key), " spans bytes ", offset, " to ", offset + bytes,
                " but the payload has ", payload_bytes);
  std::vector<T> values(static_cast<size_t>(count));
  if (bytes > 0) std::memcpy(values.data(), payload + offset, static_cast<size_t>(bytes));
  return values;
}


/// Reads an integer field that must lie in [lo, hi].
inline int64_t bounded(const HeaderReader& node, const std::string& key, int64_t lo, int64_t hi) {
  const int64_t value = node.integer(key);
  DISTILL_CHECK(value >= lo && value <= hi, node.where(key), " is ", value, ", expected ", lo,
                " to ", hi);
  return value;
}

/// A whole file: the preamble for `magic` (8 bytes) and `version`, the header, the payload.
inline std::string wrap_file(const char* magic, uint32_t version, const json& header,
                             const std::string& payload, const std::string& what) {
  const std::string header_text = header.dump();
  DISTILL_CHECK(header_text.size() <= kMaxHeaderBytes, what, " header is ", header_text.size(),
                " bytes, over the format's limit of ", kMaxHeaderBytes);
  std::string out(kPreambleBytes, '\0');
  std::memcpy(&out[0], magic, 8);
  put<uint32_t>(out, 8, version);
  put<uint32_t>(out, 12, static_cast<uint32_t>(header_text.size()));
  put<uint64_t>(out, 16, payload.size());
  out += header_text;
  out += payload;
  put<uint32_t>(out, 24, crc32_of(out.data() + kPreambleBytes, out.size() - kPreambleBytes));
  return out;
}

/// A file's parts after the preamble checks (magic, version, lengths, checksum).
struct FileView {
  uint32_t version = 0;
  json header;
  const char* payload = nullptr;
  uint64_t payload_bytes = 0;
};

/// Checks the preamble of `bytes` (versions 1 to max_version) and parses the header; errors
/// start with `where` ("int8 model 'f.int8'"); `foreign_hint` says what the file should be.
inline FileView open_file(const std::string& bytes, const char* magic, uint32_t max_version,
                          const std::string& where, const std::string& foreign_hint) {
  DISTILL_CHECK_HINT(bytes.size() >= kPreambleBytes,
                     "the file is truncated; export it again with `distill quantize`", where,
                     " is ", bytes.size(), " bytes, shorter than the ", kPreambleBytes,
                     "-byte preamble");
  DISTILL_CHECK_HINT(std::memcmp(bytes.data(), magic, 8) == 0, foreign_hint, where,
                     " does not start with the magic \"", std::string(magic, 8), "\"");
  FileView view;
  view.version = get<uint32_t>(bytes, 8);
  DISTILL_CHECK_HINT(view.version >= 1 && view.version <= max_version,
                     "use the distill version that wrote the file, or export it again", where,
                     " has format version ", view.version, "; this build reads versions 1 to ",
                     max_version);
  const uint32_t header_bytes = get<uint32_t>(bytes, 12);
  view.payload_bytes = get<uint64_t>(bytes, 16);
  DISTILL_CHECK(header_bytes <= kMaxHeaderBytes, where, ": header length ", header_bytes,
                " exceeds the limit of ", kMaxHeaderBytes);
  const uint64_t body = bytes.size() - kPreambleBytes;
  DISTILL_CHECK_HINT(header_bytes <= body && view.payload_bytes == body - header_bytes,
                     "the file is truncated or has trailing bytes; export it again", where,
                     " is ", bytes.size(), " bytes but its preamble announces ",
                     kPreambleBytes, " + ", header_bytes, " + ", view.payload_bytes);
  DISTILL_CHECK(get<uint32_t>(bytes, 28) == 0, where, ": reserved preamble field is not 0");
  const uint32_t stored_crc = get<uint32_t>(bytes, 24);
  const uint32_t actual_crc = crc32_of(bytes.data() + kPreambleBytes, body);
  DISTILL_CHECK_HINT(stored_crc == actual_crc, "the file is corrupt; export it again", where,
                     ": checksum mismatch (stored ", stored_crc, ", computed ", actual_crc, ")");
  try {
    view.header = json::parse(bytes.begin() + kPreambleBytes,
                              bytes.begin() + kPreambleBytes + header_bytes);
  } catch (const json::exception& e) {
    DISTILL_FAIL(where, ": header is not valid JSON (", e.what(), ")");
  }
  DISTILL_CHECK(view.header.is_object(), where, ": header must be a JSON object");
  view.payload = bytes.data() + kPreambleBytes + header_bytes;
  return view;
}

}  // namespace distill::runtime::file_fields
