#!/usr/bin/python3
"""distill beside the PyTorch peer on the same work, in one run, on the same threads.

Runs ../shared/peers/torch_kd.py (PyTorch, /usr/bin/python3) and then distill on the peer's
exact recipe: Fashion-MNIST's 60,000 training images, inputs scaled to [0, 1], teacher MLP
784-1200-1200-10 with dropout 0.2, students 784-100-10, SGD lr 0.05 momentum 0.9, batch 128,
T = 4, alpha = 0.1. distill's distillation runs twice: with the live teacher and from the
soft-label cache. It then times one teacher epoch on 1/4, 1/2 and all of the training set.

Prints a table with the ratios and writes every figure to --json. Usage:
  /usr/bin/python3 bench/compare_with_peer.py [--epochs 10] [--threads 2] [--json out.json]
Nothing else should run on the machine meanwhile: the figures are timings.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# OpenMP settings a caller's shell may carry. Each program runs as its user would start it:
# the peer with libgomp's defaults (a PyTorch user sets none of these; OMP_WAIT_POLICY=PASSIVE
# inherited from a shell made its teacher epoch 7 s instead of 19 s), distill with what its CLI
# sets for itself.
OPENMP_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def clean_environment():
    return {k: v for k, v in os.environ.items() if k not in OPENMP_SETTINGS}


def measure(command, env=None):
    """Runs `command` in a child python that reports the command's own peak RSS (MiB)."""
    env = clean_environment() if env is None else env
    helper = (
        "import json,os,resource,subprocess,sys,time\n"
        "t=time.perf_counter()\n"
        "p=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE)\n"
        "w=time.perf_counter()-t\n"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024\n"
        "sys.stderr.write(json.dumps({'rc':p.returncode,'wall':w,'peak_mib':r})+'\\n')\n"
        "sys.stdout.write(p.stdout.decode())\n"
    )
    process = subprocess.run([sys.executable, "-c", helper] + command, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = process.stderr.decode(errors="replace").strip().splitlines()
    report = json.loads(lines[-1]) if lines else {"rc": 1}
    if report["rc"] != 0:
        sys.stderr.write("\n".join(lines[:-1]) + "\n")
        raise SystemExit(f"command failed with exit code {report['rc']}: {' '.join(command)}")
    return process.stdout.decode(), report["wall"], report["peak_mib"]


def peer_recipe(epochs, threads, out_dir):
    """distill --set overrides that reproduce the peer's pipeline."""
    sgd = ["optimizer=sgd", "lr=0.05", "momentum=0.9", "nesterov=false", "schedule=constant",
           "batch_size=128", f"epochs={epochs}"]
    sets = [f"threads={threads}", f"output_dir={out_dir}", "data.validation_size=0",
            "data.normalize=false", "teacher.model.hidden=[1200,1200]",
            "teacher.model.dropout=0.2", "student.model.hidden=[100]", "distill.temperature=4",
            "distill.alpha=0.1", "distill.mode=soft", "evaluation.speed=true"]
    sets += [f"teacher.train.{s}" for s in sgd] + [f"student.train.{s}" for s in sgd]
    arguments = []
    for s in sets:
        arguments += ["--set", s]
    return arguments


def median_epoch_seconds(training_json):
    with open(training_json) as f:
        history = json.load(f)["history"]
    seconds = sorted(h["seconds"] for h in history)
    return seconds[len(seconds) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distill", default=os.path.join(ROOT, "build", "cli", "distill"))
    ap.add_argument("--peer", default=os.path.join(ROOT, "..", "shared", "peers", "torch_kd.py"))
    ap.add_argument("--epochs", type=int, default=10, help="teacher and student epochs (peer: 10)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--skip-peer", help="reuse the peer's figures from this file (e.g. <json>.peer "
                                        "of an earlier run) instead of running it")
    a = ap.parse_args()
    for path, what in ((a.distill, "the distill executable (scripts/build.sh builds it)"),
                       (a.peer, "the peer script")):
        if not os.path.exists(path):
            raise SystemExit(f"{path} does not exist: expected {what}")

    results = {"threads": a.threads, "epochs": a.epochs}
    # 1. The peer, as its user would run it.
    if a.skip_peer:
        with open(a.skip_peer) as f:
            results["peer"] = json.loads(f.read().strip().splitlines()[-1])
    else:
        print(f"peer: {a.peer} ({a.epochs} epochs, {a.threads} threads) ...", flush=True)
        out, wall, peak = measure(["/usr/bin/python3", a.peer, "--threads", str(a.threads),
                                   "--teacher-epochs", str(a.epochs),
                                   "--student-epochs", str(a.epochs)])
        results["peer"] = json.loads(out.strip().splitlines()[-1])
        results["peer"].update({"wall_s": wall, "peak_rss_mib": peak})
        if a.json:  # kept at once: the peer's run is the long part
            with open(a.json + ".peer", "w") as f:
                json.dump(results["peer"], f)

    with tempfile.TemporaryDirectory(prefix="distill-bench-") as work:
        recipe = peer_recipe(a.epochs, a.threads, work)
        # 2. distill's whole pipeline on the peer's recipe, live teacher during distillation.
        print("distill run (live teacher) ...", flush=True)
        _, wall, peak = measure([a.distill, "run", "--quiet", "--set",
                                 "distill.teacher_outputs=live"] + recipe)
        with open(os.path.join(work, "results.json")) as f:
            run = json.load(f)
        models = run["models"]
        distill = {"wall_s": wall, "peak_rss_mib": peak, "run": run,
                   "teacher_epoch_s": median_epoch_seconds(os.path.join(work, "teacher.training.json")),
                   "student_ce_epoch_s": median_epoch_seconds(
                       os.path.join(work, "student_baseline.training.json")),
                   "student_kd_live_epoch_s": median_epoch_seconds(
                       os.path.join(work, "student_distilled.training.json"))}
        # 3. Distillation again from the soft-label cache (computed once, timed separately).
        print("distill distill (cached soft labels) ...", flush=True)
        cached_out = os.path.join(work, "student_cached.pt")
        _, wall_cached, peak_cached = measure(
            [a.distill, "distill", "--quiet", "--teacher", os.path.join(work, "teacher.pt"),
             "--out", cached_out, "--set", "distill.teacher_outputs=cached"] + recipe)
        distill["student_kd_cached_epoch_s"] = median_epoch_seconds(os.path.join(work, "student_cached.training.json"))
        distill["cached_distill_wall_s"] = wall_cached
        distill["cached_distill_peak_rss_mib"] = peak_cached
        # 4. One teacher epoch on a quarter, half and all of the training set.
        scaling = []
        for limit in (15000, 30000, 60000):
            print(f"distill train teacher, 1 epoch on {limit} images ...", flush=True)
            out_model = os.path.join(work, f"teacher-{limit}.pt")
            measure([a.distill, "train", "--quiet", "--role", "teacher", "--out", out_model] +
                    recipe + ["--set", f"data.train_limit={limit}", "--set", "teacher.train.epochs=1"])
            scaling.append({"images": limit,
                            "epoch_s": median_epoch_seconds(
                                os.path.join(work, f"teacher-{limit}.training.json"))})
        distill["teacher_epoch_scaling"] = scaling
        results["distill"] = distill

    report(results, models)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"wrote {a.json}")


def report(results, models):
    peer, ours = results["peer"], results["distill"]

    def accuracy(role):
        return models[role]["test"]["accuracy"]

    rows = [
        ("teacher epoch (s)", peer["teacher_epoch_s"], ours["teacher_epoch_s"], 5),
        ("student epoch, labels only (s)", peer["student_ce_epoch_s"], ours["student_ce_epoch_s"], None),
        ("distillation epoch, live teacher (s)", peer["student_kd_epoch_s"],
         ours["student_kd_live_epoch_s"], 5),
        ("distillation epoch, cached soft labels (s)", peer["student_kd_epoch_s"],
         ours["student_kd_cached_epoch_s"], 20),
    ]
    print()
    print(f"same work, {results['threads']} threads, {results['epochs']} epochs each")
    print(f"{'figure':44} {'peer':>10} {'distill':>10} {'speed-up':>9} {'goal':>6}")
    for name, theirs, mine, goal in rows:
        ratio = theirs / mine
        verdict = "" if goal is None else (f">={goal}x " + ("met" if ratio >= goal else "MISSED"))
        print(f"{name:44} {theirs:10.3f} {mine:10.3f} {ratio:8.1f}x  {verdict}")
    print()
    print(f"{'test accuracy':44} {'peer':>10} {'distill':>10}")
    for name, key, role in (("teacher", "teacher_acc", "teacher"),
                            ("baseline student", "student_baseline_acc", "student_baseline"),
                            ("distilled student (live teacher)", "student_kd_acc", "student_distilled")):
        print(f"{name:44} {peer[key]:10.4f} {accuracy(role):10.4f}")
    print()
    print()
    print("int8 student (distill: its libtorch-free runtime; peer: torch.quantization.quantize_dynamic)")
    fp32 = models["student_distilled"]
    print(f"{'':44} {'accuracy':>9} {'b256 /s':>11} {'b1 us':>8} {'bytes':>9}")
    print(f"{'peer fp32 student':44} {peer['student_kd_acc']:9.4f} "
          f"{peer['fp32_student_infer_per_s_b256']:11.0f} {1e6 / peer['fp32_student_infer_per_s_b1']:8.1f}")
    print(f"{'peer dynamic int8':44} {peer['student_kd_int8_acc']:9.4f} "
          f"{peer['int8_student_infer_per_s_b256']:11.0f} {1e6 / peer['int8_student_infer_per_s_b1']:8.1f}")
    for key, name in (("student_distilled", "distill fp32 student"),
                      ("student_int8", "distill int8, static PTQ"),
                      ("student_int8_qat", "distill int8, QAT + KD")):
        if key not in models:
            continue
        m = models[key]
        print(f"{name:44} {m['test']['accuracy']:9.4f} {m['speed']['throughput_per_s']:11.0f} "
              f"{m['speed']['latency_us_batch1_median']:8.1f} {m['bytes']:9d}")
    if "student_int8" in models:
        int8 = models["student_int8"]
        int8_rate = int8["speed"]["throughput_per_s"]
        print(f"int8 throughput: {int8_rate / fp32['speed']['throughput_per_s']:.1f}x distill's fp32 (goal >=4x), "
              f"{int8_rate / peer['int8_student_infer_per_s_b256']:.1f}x the peer's dynamic int8 (goal >=8x); "
              f"file {fp32['bytes'] / int8['bytes']:.1f}x smaller than the fp32 weights (goal >=3.5x); "
              f"PTQ {100 * (int8['test']['accuracy'] - fp32['test']['accuracy']):+.2f} points vs fp32 "
              f"(goal within 0.3)")
    if "student_int8_qat" in models:
        qat = models["student_int8_qat"]["test"]["accuracy"]
        print(f"QAT + KD {100 * (qat - fp32['test']['accuracy']):+.2f} points vs the fp32 student "
              f"(goal >= 0)")
    print(f"peak resident memory: peer {peer.get('peak_rss_mib', float('nan')):.0f} MiB, "
          f"distill run {ours['peak_rss_mib']:.0f} MiB, distill (cached) "
          f"{ours['cached_distill_peak_rss_mib']:.0f} MiB")
    print(f"wall time: peer {peer.get('wall_s', float('nan')):.1f} s, distill run {ours['wall_s']:.1f} s")
    base = ours["teacher_epoch_scaling"][-1]
    print("teacher epoch vs training-set size (linear growth = constant time per image):")
    for point in ours["teacher_epoch_scaling"]:
        print(f"  {point['images']:6d} images: {point['epoch_s']:.3f} s "
              f"({point['epoch_s'] / point['images'] * 1e6:.1f} us/image, "
              f"{point['epoch_s'] / base['epoch_s'] * base['images'] / point['images']:.2f} of full-set rate)")


if __name__ == "__main__":
    main()
