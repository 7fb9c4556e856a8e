// Encoding and validating decoding of tensor files.
#include "distill/core/tensor_file.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <set>

#include "distill/core/atomic_file.h"
#include "distill/core/checksum.h"
#include "distill/core/error.h"

namespace distill {
namespace {

constexpr char kMagic[8] = {'D', 'I', 'S', 'T', 'I', 'L', 'L', 'T'};
constexpr size_t kPreamble = 24;
constexpr size_t kMaxRank = 8;

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
};
constexpr DtypeInfo kDtypes[] = {
    {"float32", at::kFloat}, {"float16", at::kHalf}, {"int64", at::kLong}};

const char* dtype_name(at::ScalarType type, const std::string& tensor) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  DISTILL_FAIL("tensor '", tensor, "' has type ", type,
               "; tensor files hold float32, float16 and int64");
}

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T get_at(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}


}  // namespace

const at::Tensor& TensorFile::get(const std::string& name, const std::string& source) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  DISTILL_FAIL("'", source, "' (", kind, ") has no tensor '", name, "'");
}

bool TensorFile::has(const std::string& name) const {
  for (const auto& entry : tensors)
    if (entry.first == name) return true;
  return false;
}

std::string encode_tensor_file(const TensorFile& file) {
  nlohmann::json header;
  header["kind"] = file.kind;
  header["meta"] = nlohmann::json::parse(file.meta_json);
  header["tensors"] = nlohmann::json::array();
  std::string payload;
  for (const auto& [name, tensor] : file.tensors) {
    const at::Tensor t = tensor.detach().contiguous().cpu();
    header["tensors"].push_back({{"name", name},
                                 {"dtype", dtype_name(t.scalar_type(), name)},
                                 {"shape", t.sizes().vec()},
                                 {"offset", payload.size()}});
    payload.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  const std::string header_text = header.dump();
  std::string out(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kTensorFileVersion);
  put<uint32_t>(out, 0);  // CRC, filled below
  put<uint64_t>(out, header_text.size());
  out += header_text;
  out += payload;
  const uint32_t crc = crc32_of(out.data() + 16, out.size() - 16);
  std::memcpy(out.data() + 12, &crc, sizeof(crc));
  return out;
}

bool looks_like_tensor_file(const std::string& bytes) {
  return bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

TensorFile decode_tensor_file(const std::string& bytes, const std::string& source,
                              const std::string& expected_kind) {
  DISTILL_CHECK(looks_like_tensor_file(bytes), "'", source, "' is not a ", expected_kind,
                " file (", bytes.size(), " bytes, no DISTILLT magic)",
                bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K'
                    ? "; it is a zip archive (a TorchScript module or a file of an older distill)"
                    : "");
  DISTILL_CHECK(bytes.size() >= kPreamble, "'", source, "' is truncated: ", bytes.size(),
                " bytes, shorter than the ", kPreamble, "-byte preamble");
  const auto version = get_at<uint32_t>(bytes, 8);
  DISTILL_CHECK(version == kTensorFileVersion, "'", source, "' has tensor file version ", version,
                "; this distill reads version ", kTensorFileVersion);
  const auto stored_crc = get_at<uint32_t>(bytes, 12);
  const uint32_t crc = crc32_of(bytes.data() + 16, bytes.size() - 16);
  DISTILL_CHECK(crc == stored_crc, "'", source, "' is damaged: checksum ", crc, " != stored ",
                stored_crc, " (truncated or corrupted file)");
  const auto header_size = get_at<uint64_t>(bytes, 16);
  DISTILL_CHECK(header_size <= bytes.size() - kPreamble, "'", source, "': header of ",
                header_size, " bytes does not fit in the file's ", bytes.size(), " bytes");
  const size_t payload_start = kPreamble + header_size;
  const size_t payload_size = bytes.size() - payload_start;

  TensorFile file;
  try {
    const nlohmann::json header =
        nlohmann::json::parse(bytes.begin() + kPreamble, bytes.begin() + payload_start);
    file.kind = header.at("kind").get<std::string>();
    DISTILL_CHECK(file.kind == expected_kind, "'", source, "' holds a ", file.kind,
                  ", expected a ", expected_kind);
    DISTILL_CHECK(header.at("meta").is_object(), "'", source, "': meta must be an object");
    file.meta_json = header.at("meta").dump();
    std::set<std::string> names;
    for (const nlohmann::json& entry : header.at("tensors")) {
      const std::string name = entry.at("name").get<std::string>();
      DISTILL_CHECK(names.insert(name).second, "'", source, "': tensor '", name,
                    "' appears twice");
      const std::string dtype = entry.at("dtype").get<std::string>();
      const DtypeInfo* info = nullptr;
      for (const auto& d : kDtypes)
        if (dtype == d.name) info = &d;
      DISTILL_CHECK(info != nullptr, "'", source, "': tensor '", name, "' has unknown dtype '",
                    dtype, "'");
      const auto shape = entry.at("shape").get<std::vector<int64_t>>();
      DISTILL_CHECK(shape.size() <= kMaxRank, "'", source, "': tensor '", name, "' has ",
                    shape.size(), " dimensions (at most ", kMaxRank, ")");
      const auto item = static_cast<uint64_t>(c10::elementSize(info->type));
      uint64_t extent = item;
      for (int64_t d : shape) {
        DISTILL_CHECK(d >= 0, "'", source, "': tensor '", name, "' has a negative dimension ", d);
        DISTILL_CHECK(!__builtin_mul_overflow(extent, static_cast<uint64_t>(d), &extent) &&
                          extent <= payload_size,
                      "'", source, "': tensor '", name, "' of shape ", at::IntArrayRef(shape),
                      " does not fit in the ", payload_size, "-byte payload");
      }
      const auto offset = entry.at("offset").get<uint64_t>();
      DISTILL_CHECK(offset <= payload_size && extent <= payload_size - offset, "'", source,
                    "': tensor '", name, "' (", extent, " bytes at offset ", offset,
                    ") reaches past the ", payload_size, "-byte payload");
      at::Tensor t = at::empty(shape, at::TensorOptions().dtype(info->type));
      if (t.numel() > 0) std::memcpy(t.data_ptr(), bytes.data() + payload_start + offset, extent);
      file.tensors.emplace_back(name, std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("'", source, "': malformed header: ", e.what());
  }
  return file;
}

void write_tensor_file(const std::filesystem::path& path, const TensorFile& file) {
  write_file_atomically(path, encode_tensor_file(file));
}

TensorFile read_tensor_file(const std::filesystem::path& path, const std::string& expected_kind) {
  return decode_tensor_file(read_file_bytes(path), path.string(), expected_kind);
}

}  // namespace distill
