// Which implementation runs the layers that dominate training: the plain libtorch reference, or
// the fast path (oneDNN GEMMs, fused dropout, fused KD loss, fused SGD step). Process-wide, like
// the thread count; tests hold the two paths together.
#pragma once

#include <string>

namespace distill::kernels {

enum class ComputePath { kReference, kFast };

const char* to_string(ComputePath path);
/// Parses "fast" or "reference"; throws naming the value and the choices otherwise.
ComputePath parse_compute_path(const std::string& text);

ComputePath compute_path();
void set_compute_path(ComputePath path);

/// Sets the path for one scope and restores the previous one when it ends (tests, benchmarks).
class ScopedComputePath {
 public:
  explicit ScopedComputePath(ComputePath path);
  ~ScopedComputePath();
  ScopedComputePath(const ScopedComputePath&) = delete;
  ScopedComputePath& operator=(const ScopedComputePath&) = delete;

 private:
  ComputePath previous_;
};

}  // namespace distill::kernels
