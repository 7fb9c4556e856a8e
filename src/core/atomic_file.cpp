// Atomic file writes with POSIX calls, so every failure (ENOSPC, EACCES, ...) is seen and reported.
#include "distill/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "distill/core/error.h"

namespace distill {
namespace {

std::string os_reason(int err) { return std::strerror(err); }

/// Closes the descriptor and removes the temporary file unless released after a successful rename.
class TempFileGuard {
 public:
  TempFileGuard(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  int close_now() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { released_ = true; }

 private:
  int fd_;
  std::filesystem::path path_;
  bool released_ = false;
};

}  // namespace

namespace {
std::atomic<bool> writes_files{true};
}  // namespace

void set_process_writes_files(bool writes) { writes_files.store(writes); }
bool process_writes_files() { return writes_files.load(); }

void remove_written_file(const std::filesystem::path& path) {
  if (!process_writes_files()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  if (!process_writes_files()) return;
  const std::filesystem::path parent =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  DISTILL_CHECK_HINT(!ec, "check the output directory and its permissions",
                     "cannot create directory '", parent.string(), "' for '", path.string(),
                     "': ", ec.message());

  std::string temp_name = (parent / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp_name.data());
  DISTILL_CHECK_HINT(fd >= 0, "check that the directory exists and is writable",
                     "cannot write '", path.string(), "': creating a temporary file in '",
                     parent.string(), "' failed: ", os_reason(errno));
  TempFileGuard guard(fd, temp_name);

  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    DISTILL_CHECK_HINT(written > 0, "free some disk space or choose another output directory",
                       "cannot write '", path.string(), "': writing ", bytes.size(),
                       " bytes failed after ", bytes.size() - left, ": ", os_reason(errno),
                       "; the previous file, if any, is unchanged");
    data += written;
    left -= static_cast<size_t>(written);
  }
  DISTILL_CHECK(::fsync(fd) == 0, "cannot write '", path.string(), "': fsync failed: ",
                os_reason(errno), "; the previous file, if any, is unchanged");
  DISTILL_CHECK(::fchmod(fd, 0644) == 0, "cannot write '", path.string(),
                "': setting permissions failed: ", os_reason(errno));
  DISTILL_CHECK(guard.close_now() == 0, "cannot write '", path.string(), "': close failed: ",
                os_reason(errno), "; the previous file, if any, is unchanged");
  DISTILL_CHECK(::rename(temp_name.c_str(), path.c_str()) == 0, "cannot write '", path.string(),
                "': renaming the temporary file failed: ", os_reason(errno));
  guard.release();

  // Make the rename itself durable.
  const int dir_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK(in.good(), "cannot open '", path.string(), "': ",
                std::filesystem::exists(path) ? "permission denied or not a regular file"
                                              : "no such file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  DISTILL_CHECK(!in.bad(), "cannot read '", path.string(), "': I/O error");
  return bytes;
}

}  // namespace distill
