// Atomic writes: content, replacement, parent creation, and failures that keep the old file.
#include "distill/core/atomic_file.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/core/error.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::TempDir;

TEST(AtomicFile, WritesAndReplacesWholeContent) {
  TempDir dir;
  const auto path = dir / "model.bin";
  write_file_atomically(path, "first version");
  EXPECT_EQ(read_file_bytes(path), "first version");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file_bytes(path), "second");
  // No temporary files are left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, CreatesMissingParentDirectories) {
  TempDir dir;
  const auto path = dir / "a" / "b" / "results.json";
  write_file_atomically(path, "{}");
  EXPECT_EQ(read_file_bytes(path), "{}");
}

TEST(AtomicFile, UnwritableDirectoryFailsClearlyAndKeepsTheOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  const auto path = dir / "model.bin";
  write_file_atomically(path, "precious");
  ::chmod(dir.path().c_str(), 0555);
  try {
    write_file_atomically(path, "new");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
  ::chmod(dir.path().c_str(), 0755);
  EXPECT_EQ(read_file_bytes(path), "precious");
}

TEST(AtomicFile, FullDiskFailsClearlyAndKeepsTheOldFile) {
  // A file-size limit makes write() fail part-way (EFBIG) exactly as a full disk does (ENOSPC),
  // without needing a small filesystem; works as root too.
  TempDir dir;
  const auto path = dir / "checkpoint.pt";
  write_file_atomically(path, "previous checkpoint");
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // else the signal kills the process
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message;
  try {
    write_file_atomically(path, std::string(1 << 20, 'x'));
  } catch (const Error& e) {
    message = e.what();
    EXPECT_NE(e.hint().find("free some disk space"), std::string::npos);
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  const std::string expected =
      "cannot write '" + path.string() + "': writing 1048576 bytes failed after 4096";
  EXPECT_NE(message.find(expected), std::string::npos) << message;
  EXPECT_NE(message.find("the previous file, if any, is unchanged"), std::string::npos);
  EXPECT_EQ(read_file_bytes(path), "previous checkpoint");
  // No temporary file is left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, DirectoryThatIsAFileFailsClearly) {
  // Works as root too (unlike permission tests): the parent "directory" is a regular file.
  TempDir dir;
  const auto blocker = dir / "not-a-dir";
  write_file_atomically(blocker, "x");
  try {
    write_file_atomically(blocker / "model.bin", "data");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.bin"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file_bytes(blocker), "x");
}

TEST(AtomicFile, ReadingAMissingFileNamesIt) {
  try {
    read_file_bytes("/nonexistent/file.yaml");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open '/nonexistent/file.yaml': no such file");
  }
}

}  // namespace
}  // namespace distill
