// This CPU's arithmetic peaks on one core, the ceiling every GEMM here is measured against:
// AVX-512 fp32 FMAs (16 multiply-adds each) and AVX-512 VNNI uint8×int8 dot products (64 each),
// 16 independent accumulators in registers, nothing loaded or stored; and, where the CPU has
// AMX (Intel Sapphire Rapids and later, which oneDNN's int8 matmul then uses: its verbose log
// names `brg:avx512_core_amx_int8`), the tile unit's uint8×int8 products (TDPBUSD: a 16×64 by
// 64×16 tile product, 16,384 multiply-adds), four accumulator tiles. The ratio of the int8 and
// fp32 peaks is the most an int8 GEMM can gain over an fp32 one of the same shape (VNNI: 4.0×
// on the fifth session's AMD EPYC, 128 vs 512 G multiply-adds/s). Links nothing of distill.
#include <benchmark/benchmark.h>

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/// Whether the CPU has AMX tiles with int8 products and Linux lets this process use them (the
/// tile state must be requested with arch_prctl before the first tile instruction).
bool amx_int8_usable() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool tile = edx & (1u << 24), int8 = edx & (1u << 25);
  constexpr long kArchRequestXcompPerm = 0x1023, kXfeatureTileData = 18;
  return tile && int8 && syscall(SYS_arch_prctl, kArchRequestXcompPerm, kXfeatureTileData) == 0;
}

/// The tile configuration: palette 1, tiles 0–7 of 16 rows × 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};

// tmm0–tmm3 accumulate products of tmm4–tmm7 (zeros: the rate does not depend on values).
#define DISTILL_TDPBUSD(dst, a, b) asm volatile("tdpbusd %%tmm" #b ", %%tmm" #a ", %%tmm" #dst ::)

void amx_loop(int64_t iterations) {
  static const TileConfig config;
  asm volatile("ldtilecfg %0" ::"m"(config));
  asm volatile("tilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3\n\t"
               "tilezero %%tmm4\n\ttilezero %%tmm5\n\ttilezero %%tmm6\n\ttilezero %%tmm7" ::);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 4; ++k) {  // 16 products per iteration, as the vector loops
      DISTILL_TDPBUSD(0, 4, 5);
      DISTILL_TDPBUSD(1, 4, 6);
      DISTILL_TDPBUSD(2, 4, 7);
      DISTILL_TDPBUSD(3, 5, 6);
    }
  }
  asm volatile("tilerelease" ::);
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

void BM_PeakInt8Amx(benchmark::State& state) {
  run_peak(state, amx_int8_usable(), 16 * 16 * 64, amx_loop);
}
BENCHMARK(BM_PeakInt8Amx)->Unit(benchmark::kMillisecond);

#endif

}  // namespace

BENCHMARK_MAIN();
