// The process-wide compute path.
#include "distill/kernels/compute_path.h"

#include <atomic>

#include "distill/core/error.h"

namespace distill::kernels {
namespace {

std::atomic<ComputePath> current_path{ComputePath::kFast};

}  // namespace

const char* to_string(ComputePath path) {
  switch (path) {
    case ComputePath::kReference: return "reference";
    case ComputePath::kFast: return "fast";
  }
  return "unknown";
}

ComputePath parse_compute_path(const std::string& text) {
  if (text == "fast") return ComputePath::kFast;
  if (text == "reference") return ComputePath::kReference;
  DISTILL_FAIL("unknown compute path '", text, "': expected 'fast' or 'reference'");
}

ComputePath compute_path() { return current_path.load(std::memory_order_relaxed); }

void set_compute_path(ComputePath path) { current_path.store(path, std::memory_order_relaxed); }

ScopedComputePath::ScopedComputePath(ComputePath path) : previous_(compute_path()) {
  set_compute_path(path);
}

ScopedComputePath::~ScopedComputePath() { set_compute_path(previous_); }

}  // namespace distill::kernels
