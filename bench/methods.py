#!/usr/bin/python3
"""Every distillation method of distill on Fashion-MNIST, one row each: the table of
docs/methods.md.

One MLP teacher (784-1200-1200-10) and one CNN pair (ResNet-style teacher, MobileNet-style
student) are trained once; each method then runs `distill run` with the teacher loaded
(teacher.load) and the method's settings from examples/methods/<method>.yaml, so every row
compares the same student trained on labels alone (the baseline) and with the method.

  /usr/bin/python3 bench/methods.py [--threads 1] [--out runs/methods] [--quick]

--quick uses 1/6 of the data and few epochs (a smoke test, not the table). Prints a markdown
table and writes every run's results.json under --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = os.path.join(ROOT, "examples", "methods")

# (row name, config file, family) — family picks the teacher the run loads.
ROWS = [
    ("vanilla KD (soft, T=1)", "vanilla.yaml", "mlp"),
    ("KD, T=4, alpha=0.1 (Hinton)", "hinton.yaml", "mlp"),
    ("pseudo-labels (hard teacher labels)", "pseudo_label.yaml", "mlp"),
    ("FitNets hint, two stages", "fitnets.yaml", "mlp"),
    ("relational KD (distance + angle)", "rkd.yaml", "mlp"),
    ("multi-teacher (2 teachers, confidence)", "multi_teacher.yaml", "mlp"),
    ("teacher-free KD (virtual teacher)", "teacher_free.yaml", "mlp"),
    ("born-again (1 generation, teacher arch)", "born_again.yaml", "mlp"),
    ("KD + magnitude pruning 80%", "prune_magnitude.yaml", "mlp"),
    ("KD + neuron pruning 50%", "prune_neurons.yaml", "mlp"),
    ("KD + int8 QAT (distill while quantizing)", "qat.yaml", "mlp"),
    ("CNN: vanilla KD", "cnn_vanilla.yaml", "cnn"),
    ("CNN: attention transfer", "cnn_attention.yaml", "cnn"),
]


def distill(binary, args, quiet=True):
    command = [binary] + args + (["-q"] if quiet else [])
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.stderr.write(result.stdout.decode(errors="replace"))
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distill", default=os.path.join(ROOT, "build", "cli", "distill"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "methods"))
    ap.add_argument("--quick", action="store_true", help="small data, few epochs: a smoke test")
    ap.add_argument("--only", help="comma-separated config names to run (default: all)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    common = ["--set", f"threads={a.threads}", "--set", "evaluation.speed=false"]
    if a.quick:
        common += ["--set", "data.train_limit=8000", "--set", "data.validation_size=1000",
                   "--set", "data.test_limit=2000", "--set", "teacher.train.epochs=2",
                   "--set", "student.train.epochs=2"]

    # The teachers, trained once (their own configs: examples/methods/teacher_*.yaml).
    teachers = {}
    for family, config in (("mlp", "teacher_mlp.yaml"), ("cnn", "teacher_cnn.yaml"),
                           ("mlp2", "teacher_mlp_second.yaml")):
        path = os.path.join(a.out, f"teacher-{family}.pt")
        if not os.path.exists(path):
            print(f"training teacher {family} ({config}) ...", flush=True)
            seconds = distill(a.distill, ["train", "--role", "teacher", "-c",
                                          os.path.join(METHODS, config), "-o", path] + common)
            print(f"  {seconds:.0f} s", flush=True)
        teachers[family] = path

    rows = []
    only = set(a.only.split(",")) if a.only else None
    for name, config, family in ROWS:
        if only and config not in only:
            continue
        out = os.path.join(a.out, config.replace(".yaml", ""))
        print(f"{name} ({config}) ...", flush=True)
        args = ["run", "-c", os.path.join(METHODS, config), "-o", out, "--set",
                f"teacher.load={teachers[family]}"] + common
        if config == "multi_teacher.yaml":
            args += ["--set", f"distill.extra_teachers=[{teachers['mlp2']}]"]
        seconds = distill(a.distill, args)
        with open(os.path.join(out, "results.json")) as f:
            models = json.load(f)["models"]
        method_key = next(k for k in ("student_int8_qat", "student_pruned", "born_again_g1",
                                      "student_teacher_free", "student_distilled") if k in models)
        if config == "qat.yaml":
            method_key = "student_int8_qat"
        method = models[method_key]
        # Born-again models have the teacher's architecture: they are compared with the teacher.
        baseline = models["teacher" if method_key.startswith("born_again") else "student_baseline"]
        training = method.get("training") or {}
        rows.append({
            "method": name, "config": config,
            "teacher": models["teacher"]["architecture"], "teacher_acc": models["teacher"]["test"]["accuracy"],
            "student": method["architecture"], "parameters": method["parameters"],
            "baseline_acc": baseline["test"]["accuracy"], "method_acc": method["test"]["accuracy"],
            "train_s": training.get("seconds", float("nan")), "run_s": seconds,
        })
        print(f"  baseline {rows[-1]['baseline_acc']:.4f} -> {rows[-1]['method_acc']:.4f} "
              f"({seconds:.0f} s)", flush=True)

    with open(os.path.join(a.out, "methods.json"), "w") as f:
        json.dump(rows, f, indent=2)
    print()
    print("| method | teacher (acc) | student (params) | without the method | with the method | gain (points) | method training s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['teacher']} ({r['teacher_acc']:.4f}) | {r['student']} ({r['parameters']:,}) | "
              f"{r['baseline_acc']:.4f} | {r['method_acc']:.4f} | {100 * (r['method_acc'] - r['baseline_acc']):+.2f} | "
              f"{r['train_s']:.0f} |")


if __name__ == "__main__":
    main()
