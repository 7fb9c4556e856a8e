#!/usr/bin/env bash
# Runs the default pipeline for several seeds and prints a Markdown table of the figures
# (the table in docs/results.md). Usage: scripts/seed_results.sh [seed...]  (default: 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ "${#seeds[@]}" -gt 0 ] || seeds=(0 1 2)
for seed in "${seeds[@]}"; do
  build/cli/distill run -q --set seed="$seed" -o "runs/seed-$seed" > /dev/null
done
/usr/bin/python3 - "${seeds[@]}" <<'PY'
import json, sys
rows = []
print("| seed | teacher acc | baseline student acc | distilled student acc | gain (points) | int8 PTQ acc | int8 QAT+KD acc | agreement baseline / distilled | teacher train s | baseline train s | distill train s | total s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for seed in sys.argv[1:]:
    r = json.load(open(f"runs/seed-{seed}/results.json"))
    m = r["models"]
    t, b, d = m["teacher"], m["student_baseline"], m["student_distilled"]
    int8 = lambda key: f"{m[key]['test']['accuracy']:.4f}" if key in m else "-"
    print(f"| {seed} | {t['test']['accuracy']:.4f} | {b['test']['accuracy']:.4f} | {d['test']['accuracy']:.4f} | "
          f"{r['distillation_gain_points']:+.2f} | {int8('student_int8')} | {int8('student_int8_qat')} | "
          f"{b['test']['agreement_with_teacher']:.4f} / {d['test']['agreement_with_teacher']:.4f} | "
          f"{t['training']['seconds']:.0f} | {b['training']['seconds']:.0f} | {d['training']['seconds']:.0f} | {r['total_seconds']:.0f} |")
PY
