// A progress bar for long loops (training epochs, evaluation). On a terminal it redraws one line;
// elsewhere (CI logs, pipes, nohup) it writes a plain line at most once per `log_interval`, so a
// long stage shows it is alive without flooding the log, and finish() prints the summary line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace distill {

class ProgressBar {
 public:
  /// How often a bar that is not on a terminal writes a line.
  static constexpr std::chrono::milliseconds kLogInterval{30000};

  /// `enabled` false silences it entirely (--quiet). Writes to `out` (a terminal: redrawn in
  /// place; anything else: a line per `log_interval`).
  ProgressBar(std::string label, int64_t total, bool enabled, std::FILE* out = stderr,
              std::chrono::milliseconds log_interval = kLogInterval);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  /// Marks `done` of `total` steps; `status` follows the bar ("loss 0.41").
  void update(int64_t done, const std::string& status = {});
  /// Ends the bar and prints `summary` on its own line.
  void finish(const std::string& summary);

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  std::FILE* out_;
  bool interactive_;
  std::chrono::milliseconds log_interval_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace distill
