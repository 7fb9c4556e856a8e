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

}  // namespace distill
