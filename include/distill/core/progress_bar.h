// A progress bar for long loops (training epochs, evaluation). On a terminal it redraws one line;
// elsewhere (CI logs, pipes) it stays silent until finish() prints the summary line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace distill {

class ProgressBar {
 public:
  /// `enabled` false silences it entirely (--quiet).
  ProgressBar(std::string label, int64_t total, bool enabled);
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
  bool interactive_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace distill
