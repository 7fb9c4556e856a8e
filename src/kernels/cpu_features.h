// Which instruction sets the CPU running the program has, for kernels that pick a path at run
// time (each fast path is compiled with a `target` attribute, so the build needs no -m flags).
#pragma once

namespace distill::kernels {

/// AVX-512 Foundation, Byte/Word and Vector Length: what every AVX-512 kernel here uses.
inline bool cpu_has_avx512() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
#else
  return false;
#endif
}

}  // namespace distill::kernels
