#!/usr/bin/env bash
# Fuzzes the parsers of files users did not make: builds the libFuzzer targets in fuzz/ with
# clang, ASan and UBSan (into build-fuzz/) and runs each for SECONDS (default 60) from its seed
# corpus (fuzz/corpus/<target>/, written by make_seed_corpus). A crash copies the input to
# fuzz/regressions/<target>/, which the normal test suite replays, and fails the script.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
all_targets=(int8_model_file_fuzz int8_text_model_fuzz idx_fuzz csv_fuzz config_fuzz tensor_file_fuzz model_file_fuzz
             checkpoint_fuzz soft_label_cache_fuzz)
if [ "${#targets[@]}" -eq 0 ]; then targets=("${all_targets[@]}"); fi

scripts/install-deps.sh --fuzz
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DDISTILL_FUZZERS=ON \
  -DDISTILL_BUILD_TESTS=OFF -DDISTILL_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-fuzz --target "${targets[@]}"
# libtorch's OpenMP pool would spin between inputs; the parsers are single-threaded anyway.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
# Leaks inside libtorch's lazily built globals are not the parsers' (LeakSanitizer off).
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0

status=0
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus" "fuzz/regressions/$target"
  cp -n fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "== $target: ${seconds} s"
  if ! build-fuzz/fuzz/"$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
      -artifact_prefix="build-fuzz/$target-" "$corpus" "fuzz/regressions/$target" \
      2> "build-fuzz/$target.log"; then
    status=1
    for crash in build-fuzz/"$target"-crash-* build-fuzz/"$target"-leak-* build-fuzz/"$target"-timeout-*; do
      [ -e "$crash" ] && cp "$crash" "fuzz/regressions/$target/" && echo "crasher kept: fuzz/regressions/$target/$(basename "$crash")"
    done
    tail -30 "build-fuzz/$target.log"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$target.log" || true
done
exit "$status"
