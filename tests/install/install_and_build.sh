#!/usr/bin/env bash
# distill as an installed package: `cmake --install` into temporary prefixes, then the examples
# built from fresh build folders against the installed package only, and run.
#   - the runtime component alone (what a device installs: no libtorch) -> examples/runtime
#   - everything -> examples/training (distils, quantizes, evaluates), whose int8 file the
#     runtime example then classifies
# Usage: install_and_build.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "install: the runtime component alone, then everything"
cmake --install "$build" --prefix "$work/runtime-prefix" --component runtime > "$work/install-runtime.log"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
[ -f "$work/runtime-prefix/lib/cmake/distill/distillConfig.cmake" ] || fail "no distillConfig.cmake"
[ -f "$work/runtime-prefix/include/distill/runtime.h" ] || fail "no distill/runtime.h"
[ ! -e "$work/runtime-prefix/include/distill/distill.h" ] || fail "the runtime holds distill.h"
[ ! -e "$work/runtime-prefix/lib/libdistill_core.a" ] || fail "the runtime holds the libtorch library"
if grep -rl "ATen\|torch/" "$work/runtime-prefix/include" > /dev/null; then
  fail "a runtime header includes libtorch: $(grep -rl 'ATen\|torch/' "$work/runtime-prefix/include")"
fi
[ -x "$work/prefix/bin/distill" ] && [ -x "$work/prefix/bin/distill-tokenizer" ] || fail "no programs"
[ -f "$work/prefix/include/distill/distill.h" ] || fail "no distill/distill.h"
for private in kernels/onednn_engine.h config/yaml_section.h; do
  [ ! -e "$work/prefix/include/distill/$private" ] || fail "private header $private installed"
done

configure_and_build() {  # example prefix build-dir
  cmake -S "$source/examples/$1" -B "$3" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$2" > "$3.configure.log" 2>&1 ||
    { cat "$3.configure.log"; fail "configuring examples/$1 against $2"; }
  # Only the installed package: no path into distill's source or build tree.
  if grep -q -e "$source/include" -e "$source/src" -e "$build/src/" -e "$build/cli/" "$3/build.ninja"; then
    fail "examples/$1 was built with paths into distill's tree"
  fi
  cmake --build "$3" -j2 > "$3.build.log" 2>&1 || { cat "$3.build.log"; fail "building examples/$1"; }
}

step "examples/runtime against the runtime-only prefix (no libtorch)"
configure_and_build runtime "$work/runtime-prefix" "$work/build-runtime"
if ldd "$work/build-runtime/int8_classify" | grep -q "libtorch\|libc10"; then
  fail "int8_classify links libtorch"
fi

step "examples/training against the full prefix"
configure_and_build training "$work/prefix" "$work/build-training"

step "run: distil, quantize, evaluate (small Fashion-MNIST subset)"
"$work/build-training/distill_student" "$work/run" data.train_limit=3000 data.validation_size=500 \
    data.test_limit=1000 teacher.train.epochs=2 student.train.epochs=2 threads=1 \
    evaluation.speed=false quantize.calibration_samples=500 | tee "$work/training.out"
grep -q "student (int8)" "$work/training.out" || fail "no int8 row in the example's table"
[ -f "$work/run/student.int8" ] || fail "the example wrote no student.int8"

step "run: the runtime example classifies with the example's int8 student"
"$work/build-runtime/int8_classify" "$work/run/student.int8" \
    /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
    /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz | tee "$work/classify.out"
accuracy=$(sed -n 's/^accuracy: \([0-9.]*\).*/\1/p' "$work/classify.out" | head -1)
[ -n "$accuracy" ] || fail "int8_classify printed no accuracy"
python3 -c "import sys; a = float('$accuracy'); sys.exit(0 if 0.6 < a <= 1 else 1)" ||
  fail "int8 accuracy $accuracy is not that of a trained model (expected > 0.6)"
echo "installed package: built and ran both examples (int8 accuracy $accuracy)"
