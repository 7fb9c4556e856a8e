// Shared test helpers that need no libtorch: temporary directories, and running external
// programs (the distill CLI, /usr/bin/python3) without fork().
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace distill::testing {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs `argv` with posix_spawn (never fork: libtorch's thread pool may already be running),
/// optionally feeding `input` on stdin and in `working_dir` (empty: this process's), and
/// collects its output.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = {},
                          const std::filesystem::path& working_dir = {});

/// Starts `argv` with posix_spawn, output discarded, and returns its pid without waiting.
int spawn_detached(const std::vector<std::string>& argv);

/// Sends SIGKILL to `pid` and reaps it.
void kill_and_reap(int pid);

/// Writes bytes to a file (test fixtures).
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

/// A file's bytes ("" when it cannot be read).
std::string read_bytes(const std::filesystem::path& path);

/// Whether /usr/bin/python3 can import torch (for the tests that compare against PyTorch).
bool python_torch_available();

}  // namespace distill::testing
