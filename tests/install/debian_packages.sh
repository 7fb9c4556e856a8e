#!/usr/bin/env bash
# The Debian packages `cpack -G DEB` makes from a build: built into a temporary folder (nothing is
# installed system-wide), then their file lists and control fields checked.
#   libdistill-runtime-dev: the int8 runtime (static libraries, headers, CMake package), no libtorch
#   distill: the programs and the libtorch library, depending on the runtime package
# Usage: debian_packages.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work" > "$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
runtime_deb=$(ls "$work"/libdistill-runtime-dev_*.deb 2>/dev/null) || fail "no runtime package: $(ls "$work")"
tool_deb=$(ls "$work"/distill_*.deb 2>/dev/null) || fail "no tool package: $(ls "$work")"
dpkg-deb -c "$runtime_deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort > "$work/runtime.files"
dpkg-deb -c "$tool_deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort > "$work/tool.files"
has() { grep -qx "$2" "$work/$1.files" || fail "$1 package lacks $2"; }
lacks() { ! grep -q "$2" "$work/$1.files" || fail "$1 package holds $(grep "$2" "$work/$1.files" | head -3)"; }

for f in /usr/include/distill/runtime.h /usr/include/distill/runtime/int8_classifier.h \
         /usr/include/distill/runtime/int8_text_classifier.h /usr/lib/libdistill_runtime.a \
         /usr/lib/libdistill_kernels.a /usr/lib/libdistill_io.a /usr/lib/libdistill_text_runtime.a \
         /usr/lib/cmake/distill/distillConfig.cmake /usr/lib/cmake/distill/distillConfigVersion.cmake \
         /usr/lib/cmake/distill/distillRuntimeTargets.cmake; do has runtime "$f"; done
lacks runtime 'libdistill_core\|/usr/bin/\|distill/distill.h\|distill/pipeline/\|distillTargets.cmake'
for f in /usr/bin/distill /usr/bin/distill-tokenizer /usr/lib/libdistill_core.a \
         /usr/include/distill/distill.h /usr/include/distill/pipeline/run_pipeline.h \
         /usr/lib/cmake/distill/distillTargets.cmake; do has tool "$f"; done
lacks tool 'onednn_engine.h\|yaml_section.h'
shared=$(comm -12 "$work/runtime.files" "$work/tool.files")
[ -z "$shared" ] || fail "files in both packages: $shared"

# Every runtime header is free of libtorch: extract and look.
mkdir -p "$work/runtime-tree"
dpkg-deb -x "$runtime_deb" "$work/runtime-tree"
! grep -rl "ATen/\|torch/\|c10/" "$work/runtime-tree/usr/include" || fail "a runtime header includes libtorch"

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$runtime_deb" Package)" = libdistill-runtime-dev ] || fail "runtime package name"
[ "$(field "$tool_deb" Package)" = distill ] || fail "tool package name"
field "$tool_deb" Depends | grep -q "libdistill-runtime-dev (= " || fail "distill does not depend on the runtime package"
field "$tool_deb" Depends | grep -q "libtorch-dev" || fail "distill does not depend on libtorch-dev"
! field "$runtime_deb" Depends | grep -q "torch" || fail "the runtime package depends on libtorch"
echo "packages: $(basename "$runtime_deb") ($(wc -l < "$work/runtime.files") files), $(basename "$tool_deb") ($(wc -l < "$work/tool.files") files)"
