#!/bin/bash
# distill against the PyTorch CNN peer (bench/cnn_peer.py) on the same work, interleaved in
# rounds: the teacher's epoch (labels, augmented) and the live-teacher distillation epoch of
# examples/methods/cnn_under_100k.yaml, 5,000 training images and a 1,000-image validation pass
# per epoch, the median of 3 epochs, 2 threads. distill's live teacher runs as its fp32 folded
# network (the fast compute path's default) and, on a line of its own, as its int8 model
# (distill.teacher_precision: int8); the peer runs at its default and at its best settings.
# Usage: bench/cnn_epochs_vs_peer.sh [ROUNDS] [DISTILL]   (from the repository root)
set -euo pipefail
rounds=${1:-2}
distill=${2:-build/cli/distill}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# distill's train_limit counts the validation images it holds out: 6,000 = 5,000 + 1,000.
common=(-c examples/methods/cnn_under_100k.yaml -j 2 --set data.train_limit=6000
        --set data.validation_size=1000 --set teacher.train.epochs=3 --set student.train.epochs=3
        --set teacher.train.warmup_epochs=0 --set student.train.warmup_epochs=0
        --set evaluation.speed=false --set evaluation.batch_size=1000)
median_epoch() {
  python3 -c "import json,sys; s=sorted(e['seconds'] for e in json.load(open(sys.argv[1]))['history']); print(round(s[len(s)//2],2))" "$1"
}
peer() {  # JOB ENV... [-- peer flags]
  local job=$1; shift
  env "$@" /usr/bin/python3 bench/cnn_peer.py --job "$job" --train-samples 5000 ${PEER_FLAGS:-} |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["median_epoch_seconds"],2))'
}
best=(OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824)
for round in $(seq 1 "$rounds"); do
  "$distill" train -q --role teacher "${common[@]}" -o "$work/teacher.pt"
  echo "round $round  teacher epoch  distill                         $(median_epoch "$work/teacher.training.json") s"
  echo "round $round  teacher epoch  peer default                    $(peer teacher)"
  echo "round $round  teacher epoch  peer best (passive, heap, NHWC) $(PEER_FLAGS=--channels-last peer teacher "${best[@]}")"
  "$distill" distill -q "${common[@]}" -t "$work/teacher.pt" -o "$work/student.pt"
  echo "round $round  distill epoch  distill, fp32 teacher folded    $(median_epoch "$work/student.training.json") s"
  "$distill" distill -q "${common[@]}" --set distill.teacher_precision=int8 -t "$work/teacher.pt" \
    -o "$work/student-int8-teacher.pt"
  echo "round $round  distill epoch  distill, int8 teacher           $(median_epoch "$work/student-int8-teacher.training.json") s"
  echo "round $round  distill epoch  peer default                    $(peer distill)"
  echo "round $round  distill epoch  peer best (passive, heap, NHWC) $(PEER_FLAGS=--channels-last peer distill "${best[@]}")"
done
