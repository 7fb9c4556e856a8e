#!/usr/bin/env bash
# Installs everything distill needs to build, test and run, from Debian 12's packages only.
# Runs as root, or through sudo otherwise. Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache
  libtorch-dev libopenblas0-pthread   # tensors and autograd; OpenBLAS instead of the reference BLAS
  libgloo-dev                         # Gloo's headers for libtorch's c10d (data-parallel training)
  libdnnl-dev                         # oneDNN kernels
  libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev
  libsentencepiece-dev sentencepiece  # subword tokenization of text (spm_encode: a test's reference)
  libutf8proc-dev                     # Unicode tables for WordPiece tokenization (BERT's vocab.txt)
  libgtest-dev libbenchmark-dev
  python3-torch                       # PyTorch reference values in tests, and the peer benchmark
  libjs-chart.js                      # the HTML report's charts (inlined into every report)
  chromium-headless-shell             # the report opened in a real browser by a test
  fasttext                            # the text benchmark's comparison (bench/text_peer.py)
  dataset-fashion-mnist               # /usr/share/datasets/fashion-mnist
)
# `install-deps.sh --fuzz`: also clang, its libFuzzer/sanitizer runtimes and libomp (scripts/fuzz.sh).
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev libomp-14-dev)
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
fi
