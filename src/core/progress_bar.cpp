// Progress bar drawing: redrawn in place on a terminal, periodic plain lines elsewhere.
#include "distill/core/progress_bar.h"

#include <unistd.h>

#include <string>

namespace distill {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled, std::FILE* out,
                         std::chrono::milliseconds log_interval)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      enabled_(enabled && out != nullptr),
      out_(out),
      interactive_(enabled_ && ::isatty(::fileno(out)) == 1),
      log_interval_(log_interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (interactive_ && !finished_) std::fputs("\n", out_);
}

void ProgressBar::update(int64_t done, const std::string& status) {
  if (!enabled_) return;
  // Called on every training step: decide whether to draw before computing anything.
  const auto now = std::chrono::steady_clock::now();
  if (interactive_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  } else if (done >= total_ || now - last_draw_ < log_interval_) {
    return;  // a line per interval; the last step is left to finish()'s summary
  }
  last_draw_ = now;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  const std::string tail = status.empty() ? std::string() : " " + status;
  if (!interactive_) {
    std::fprintf(out_, "%s: %3d%% (%lld/%lld) %.1fs, eta %.1fs%s\n", label_.c_str(),
                 static_cast<int>(fraction * 100), static_cast<long long>(done),
                 static_cast<long long>(total_), elapsed, eta, tail.c_str());
  } else {
    constexpr int kWidth = 28;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r\033[K%-22s [%s] %3d%% %6.1fs eta %5.1fs%s", label_.c_str(),
                 bar.c_str(), static_cast<int>(fraction * 100), elapsed, eta, tail.c_str());
  }
  std::fflush(out_);
}

void ProgressBar::finish(const std::string& summary) {
  finished_ = true;
  if (!enabled_) return;
  if (interactive_) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "%s\n", summary.c_str());
  std::fflush(out_);
}

}  // namespace distill
