// Maybe-gzipped files through zlib's gzread (which passes plain files through unchanged).
#include "distill/core/gzip_file.h"

#include <zlib.h>

#include <memory>
#include <vector>

#include "distill/core/error.h"

namespace distill {
namespace {

struct GzFileCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

}  // namespace

std::string read_maybe_gzipped(const std::filesystem::path& path, const std::string& what,
                               const std::string& missing_hint) {
  DISTILL_CHECK_HINT(std::filesystem::exists(path), missing_hint, "cannot read ", what, " '",
                     path.string(), "': no such file");
  std::unique_ptr<gzFile_s, GzFileCloser> file(gzopen(path.c_str(), "rb"));
  DISTILL_CHECK(file != nullptr, "cannot open ", what, " '", path.string(), "'");
  std::string bytes;
  std::vector<char> chunk(1 << 20);
  while (true) {
    const int got = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      DISTILL_FAIL("cannot read ", what, " '", path.string(), "': corrupt or truncated gzip data (",
                   message, ")");
    }
    if (got == 0) break;
    bytes.append(chunk.data(), static_cast<size_t>(got));
  }
  return bytes;
}

}  // namespace distill
