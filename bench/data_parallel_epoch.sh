#!/bin/sh
# One training epoch in 1 process and in 2 (loopback, c10d/Gloo), the 2-process runs with the
# gradients all-reduced in 1 MiB buckets during the backward pass and in one bucket after it.
# Prints each run's epoch line (time, time waiting for the all-reduce), interleaved over
# `rounds`, since this machine's timings drift. Figures: docs/distributed.md.
#   bench/data_parallel_epoch.sh DISTILL ROUNDS ROLE [options for `distill train`...]
#   bench/data_parallel_epoch.sh build/cli/distill 3 teacher
#   bench/data_parallel_epoch.sh build/cli/distill 2 teacher -c examples/methods/teacher_cnn.yaml \
#     --set data.train_limit=5500
set -eu
distill=${1:-build/cli/distill}
rounds=${2:-3}
role=${3:-teacher}
[ $# -ge 3 ] && shift 3 || set --
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set -- train --role "$role" --set "$role.train.epochs=1" --set evaluation.speed=false "$@"
epoch_line() { grep -aE "epoch 1/1" | sed 's/.*epoch 1\/1/epoch/'; }
for round in $(seq "$rounds"); do
  echo "round $round"
  printf '  1 process x 1 thread:             '
  "$distill" "$@" -j 1 -o "$out/a.pt" 2>&1 | epoch_line
  printf '  1 process x 2 threads:            '
  "$distill" "$@" -j 2 -o "$out/b.pt" 2>&1 | epoch_line
  printf '  2 processes, 1 MiB buckets:       '
  DISTILL_BUCKET_MB=1 "$distill" "$@" --nproc 2 --threads-per-proc 1 --master-port 29651 \
    -o "$out/c.pt" 2>&1 | epoch_line
  printf '  2 processes, one bucket, after:   '
  DISTILL_BUCKET_MB=4096 "$distill" "$@" --nproc 2 --threads-per-proc 1 --master-port 29652 \
    -o "$out/d.pt" 2>&1 | epoch_line
done
