// This CPU's arithmetic peaks on one core, the ceiling every GEMM here is measured against:
// AVX-512 fp32 FMAs (16 multiply-adds each) and AVX-512 VNNI uint8×int8 dot products (64 each),
// 16 independent accumulators in registers, nothing loaded or stored. The ratio of the two is
// the most an int8 GEMM can gain over an fp32 one of the same shape (4.0× on the fifth
// session's machine: 128 vs 512 G multiply-adds/s). Links nothing of distill.
#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

// 16 accumulators zmm0–zmm15 updated from zmm30/zmm31, `iterations` times.
#define DISTILL_PEAK_LOOP(op)                                                                  \
  asm volatile(                                                                               \
      "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"                                                   \
      "vpxord %%zmm31, %%zmm31, %%zmm31\n\t"                                                   \
      "1:\n\t" op " %%zmm30, %%zmm31, %%zmm0\n\t" op " %%zmm30, %%zmm31, %%zmm1\n\t" op        \
      " %%zmm30, %%zmm31, %%zmm2\n\t" op " %%zmm30, %%zmm31, %%zmm3\n\t" op                    \
      " %%zmm30, %%zmm31, %%zmm4\n\t" op " %%zmm30, %%zmm31, %%zmm5\n\t" op                    \
      " %%zmm30, %%zmm31, %%zmm6\n\t" op " %%zmm30, %%zmm31, %%zmm7\n\t" op                    \
      " %%zmm30, %%zmm31, %%zmm8\n\t" op " %%zmm30, %%zmm31, %%zmm9\n\t" op                    \
      " %%zmm30, %%zmm31, %%zmm10\n\t" op " %%zmm30, %%zmm31, %%zmm11\n\t" op                  \
      " %%zmm30, %%zmm31, %%zmm12\n\t" op " %%zmm30, %%zmm31, %%zmm13\n\t" op                  \
      " %%zmm30, %%zmm31, %%zmm14\n\t" op " %%zmm30, %%zmm31, %%zmm15\n\t"                     \
      "dec %0\n\t"                                                                            \
      "jnz 1b"                                                                                \
      : "+r"(iterations)                                                                      \
      :                                                                                       \
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31")

constexpr int64_t kInstructionsPerIteration = 16;
constexpr int64_t kIterations = 1 << 20;

/// Runs `loop` and reports multiply-adds per second (`macs_per_instruction` each), if the CPU
/// has the instructions (`supported`).
template <typename Loop>
void run_peak(benchmark::State& state, bool supported, int64_t macs_per_instruction, Loop loop) {
  if (!supported) {
    state.SkipWithError("this CPU lacks the instructions");
    return;
  }
  for (auto _ : state) loop(kIterations);
  state.counters["multiply_adds_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kIterations * kInstructionsPerIteration *
          macs_per_instruction,
      benchmark::Counter::kIsRate);
}

__attribute__((target("avx512f"))) void fma_loop(int64_t iterations) {
  DISTILL_PEAK_LOOP("vfmadd231ps");
}

__attribute__((target("avx512f,avx512vnni"))) void vnni_loop(int64_t iterations) {
  DISTILL_PEAK_LOOP("vpdpbusd");
}

void BM_PeakFp32Fma(benchmark::State& state) {
  run_peak(state, __builtin_cpu_supports("avx512f"), 16, fma_loop);
}
BENCHMARK(BM_PeakFp32Fma)->Unit(benchmark::kMillisecond);

void BM_PeakInt8Vnni(benchmark::State& state) {
  run_peak(state, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"), 64,
           vnni_loop);
}
BENCHMARK(BM_PeakInt8Vnni)->Unit(benchmark::kMillisecond);

#endif

}  // namespace

BENCHMARK_MAIN();
