// Progress bar drawing on stderr.
#include "distill/core/progress_bar.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace distill {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      enabled_(enabled),
      interactive_(enabled && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (interactive_ && !finished_) std::fputs("\n", stderr);
}

void ProgressBar::update(int64_t done, const std::string& status) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 28;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r\033[K%-22s [%s] %3d%% %6.1fs eta %5.1fs %s", label_.c_str(),
               bar.c_str(), static_cast<int>(fraction * 100), elapsed, eta, status.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish(const std::string& summary) {
  finished_ = true;
  if (!enabled_) return;
  if (interactive_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "%s\n", summary.c_str());
  std::fflush(stderr);
}

}  // namespace distill
