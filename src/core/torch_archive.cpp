// Archive files on top of the atomic file helpers.
#include "distill/core/torch_archive.h"

#include <sstream>

#include "distill/core/atomic_file.h"
#include "distill/core/error.h"

namespace distill {

void write_archive_file(const std::filesystem::path& path,
                        torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  write_file_atomically(path, out.str());
}

torch::serialize::InputArchive read_archive_file(const std::filesystem::path& path,
                                                 const std::string& kind) {
  const std::string bytes = read_file_bytes(path);
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(bytes);
    archive.load_from(in);
  } catch (const c10::Error& e) {
    DISTILL_FAIL("'", path.string(), "' is not a readable ", kind, " (", bytes.size(),
                 " bytes; truncated or another kind of file?): ", e.what_without_backtrace());
  }
  return archive;
}

void check_tensor_storage(const at::Tensor& tensor, const std::string& source,
                          const std::string& what) {
  if (!tensor.defined() || !tensor.has_storage()) return;
  // The lowest and highest element offsets the view reaches, in elements, overflow-checked.
  bool overflow = false;
  int64_t low = tensor.storage_offset(), high = tensor.storage_offset();
  bool empty = false;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    const int64_t size = tensor.size(d), stride = tensor.stride(d);
    if (size == 0) empty = true;
    int64_t reach = 0;
    overflow |= size < 0 || __builtin_mul_overflow(size > 0 ? size - 1 : 0, stride, &reach);
    overflow |= __builtin_add_overflow(reach > 0 ? high : low, reach, reach > 0 ? &high : &low);
  }
  if (empty) return;
  const int64_t item = static_cast<int64_t>(tensor.element_size());
  int64_t end_bytes = 0;
  overflow |= __builtin_add_overflow(high, 1, &high) || __builtin_mul_overflow(high, item, &end_bytes);
  DISTILL_CHECK(!overflow && low >= 0 &&
                    end_bytes <= static_cast<int64_t>(tensor.storage().nbytes()),
                "'", source, "': ", what, " declares shape ", tensor.sizes(), ", strides ",
                tensor.strides(), " and offset ", tensor.storage_offset(), " beyond its ",
                tensor.storage().nbytes(), "-byte storage (corrupt file)");
}

}  // namespace distill
