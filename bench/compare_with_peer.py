#!/usr/bin/python3
"""distill beside the PyTorch peer on the same work, in one run, on the same threads.

Runs ../shared/peers/torch_kd.py (PyTorch, /usr/bin/python3) and then distill on the peer's
exact recipe: Fashion-MNIST's 60,000 training images, inputs scaled to [0, 1], teacher MLP
784-1200-1200-10 with dropout 0.2, students 784-100-10, SGD lr 0.05 momentum 0.9, batch 128,
T = 4, alpha = 0.1. distill's distillation runs twice: with the live teacher and from the
soft-label cache (its epoch reported alone and with the cache's one-time cost spread over the
epochs run). It then times one teacher epoch on 1/4, 1/2 and all of the training set.

The peer runs once per OpenMP setting (--peer-settings): as its user starts it (libgomp's
defaults), with OMP_WAIT_POLICY=PASSIVE and with a short spin (GOMP_SPINCOUNT=10000); each
figure is compared with the peer's default and with its best setting. Inference is timed on both
sides with distill's statistic (bench/peer_inference.py reimplements it for the peer's models),
the two programs alternating, and stated as a fraction of this CPU's fp32 FMA and int8 VNNI
peaks (bench/cpu_peak_bench).

Prints tables with the ratios and writes every figure to --json. Usage:
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

# The peer's threading settings tried: its user's default, and the two that help libgomp.
PEER_SETTINGS = {"default": {}, "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
                 "spin": {"GOMP_SPINCOUNT": "10000"}}

# Multiply-adds of one image through the student 784-100-10 (its two layers).
STUDENT_MACS = 784 * 100 + 100 * 10


def clean_environment(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in OPENMP_SETTINGS}
    env.update(extra or {})
    return env


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
    ap.add_argument("--peer-settings", default="default,passive,spin",
                    help="the peer's OpenMP settings to run, comma-separated (default, passive, spin)")
    ap.add_argument("--cpu-peak-bench", default=os.path.join(ROOT, "build", "bench", "cpu_peak_bench"))
    ap.add_argument("--report", metavar="JSON",
                    help="print the tables of an earlier run's --json file (its CPU peaks measured "
                         "again when it has none of the current kinds) and exit")
    a = ap.parse_args()
    for path, what in ((a.distill, "the distill executable (scripts/build.sh builds it)"),
                       (a.peer, "the peer script")):
        if not os.path.exists(path):
            raise SystemExit(f"{path} does not exist: expected {what}")

    if a.report:
        with open(a.report) as f:
            results = json.load(f)
        if not (results.get("cpu_peak") or {}).get("int8"):
            results["cpu_peak"] = cpu_peaks(a.cpu_peak_bench)
            with open(a.report, "w") as f:
                json.dump(results, f, indent=2)
        report(results, results["distill"]["run"]["models"])
        return
    settings = a.peer_settings.split(",")
    for name in settings:
        if name not in PEER_SETTINGS:
            raise SystemExit(f"--peer-settings: unknown setting '{name}' (known: {', '.join(PEER_SETTINGS)})")
    results = {"threads": a.threads, "epochs": a.epochs, "peer_settings": settings}
    # 1. The peer, once per threading setting.
    if a.skip_peer:
        with open(a.skip_peer) as f:
            results["peer"] = json.load(f)
    else:
        results["peer"] = {}
        for name in settings:
            print(f"peer ({name}: {PEER_SETTINGS[name] or 'libgomp defaults'}): {a.peer} "
                  f"({a.epochs} epochs, {a.threads} threads) ...", flush=True)
            out, wall, peak = measure(["/usr/bin/python3", a.peer, "--threads", str(a.threads),
                                       "--teacher-epochs", str(a.epochs),
                                       "--student-epochs", str(a.epochs)],
                                      env=clean_environment(PEER_SETTINGS[name]))
            figures = json.loads(out.strip().splitlines()[-1])
            figures.update({"wall_s": wall, "peak_rss_mib": peak})
            results["peer"][name] = figures
            if a.json:  # kept at once: the peer's runs are the long part
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
        # 3. Distillation again from the soft-label cache, computed once by this command.
        print("distill distill (cached soft labels) ...", flush=True)
        cached_out = os.path.join(work, "student_cached.pt")
        _, wall_cached, peak_cached = measure(
            [a.distill, "distill", "--quiet", "--teacher", os.path.join(work, "teacher.pt"),
             "--out", cached_out, "--set", "distill.teacher_outputs=cached",
             "--set", f"distill.cache_dir={os.path.join(work, 'fresh-cache')}"] + recipe)
        with open(os.path.join(work, "student_cached.training.json")) as f:
            cached_record = json.load(f)
        distill["student_kd_cached_epoch_s"] = median_epoch_seconds(os.path.join(work, "student_cached.training.json"))
        distill["soft_label_cache_s"] = cached_record["soft_label_seconds"]
        distill["student_kd_cached_epoch_amortised_s"] = (
            distill["student_kd_cached_epoch_s"] + cached_record["soft_label_seconds"] / a.epochs)
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
        # 5. Inference with one statistic on both sides, the programs alternating.
        results["inference"] = time_inference(a, work, settings)
        results["distill"] = distill
    results["cpu_peak"] = cpu_peaks(a.cpu_peak_bench)

    report(results, models)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"wrote {a.json}")


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def time_inference(a, work, settings, rounds=3):
    """Median over `rounds` alternating runs of the peer's timer (each setting) and `distill
    bench` (one speed round each) of latency and throughput, per model."""
    files = [os.path.join(work, f) for f in ("student_distilled.pt", "student_distilled.int8",
                                             "student_int8_qat.int8") if os.path.exists(os.path.join(work, f))]
    names = ["fp32", "int8_ptq", "int8_qat"][:len(files)]
    figures = {f"peer_{s}": {"fp32": [], "dynamic_int8": []} for s in settings}
    figures["distill"] = {n: [] for n in names}
    for r in range(rounds):
        print(f"inference round {r + 1}/{rounds} ...", flush=True)
        for s in settings:
            out, _, _ = measure(["/usr/bin/python3", os.path.join(ROOT, "bench", "peer_inference.py"),
                                 "--threads", str(a.threads), "--rounds", "1"],
                                env=clean_environment(PEER_SETTINGS[s]))
            line = json.loads(out.strip().splitlines()[-1])
            for model in ("fp32", "dynamic_int8"):
                figures[f"peer_{s}"][model].append(line[model])
        bench_json = os.path.join(work, "bench.json")
        # (the files first: --set takes every word after it)
        measure([a.distill, "bench"] + files + ["--quiet", "--json", bench_json, "--set",
                                                f"threads={a.threads}", "--set",
                                                "evaluation.speed_rounds=1"])
        with open(bench_json) as f:
            benched = json.load(f)["models"]
        for i, name in enumerate(names):
            speed = benched[f"model{i + 1}"]["speed"]
            figures["distill"][name].append({"latency_us": speed["latency_us_batch1_median"],
                                             "throughput_per_s": speed["throughput_per_s"]})
    return {side: {model: {"latency_us": median([f["latency_us"] for f in runs]),
                           "throughput_per_s": median([f["throughput_per_s"] for f in runs]),
                           "rounds": runs}
                   for model, runs in per_model.items()}
            for side, per_model in figures.items()}


def cpu_peaks(binary):
    """Per-core multiply-adds per second of the fp32 FMA and int8 VNNI loops (median of 5)."""
    if not os.path.exists(binary):
        return None
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    peaks = {}
    names = {"Fp32Fma": "fp32_fma", "Int8Vnni": "int8_vnni", "Int8Amx": "int8_amx"}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median" and "multiply_adds_per_s" in b:
            key = next(v for k, v in names.items() if k in b["name"])
            peaks[key] = b["multiply_adds_per_s"]
    # The int8 peak is the tile unit's where the CPU has one (oneDNN's int8 matmul uses AMX
    # there), else VNNI's.
    peaks["int8"] = max(peaks.get("int8_amx", 0), peaks.get("int8_vnni", 0)) or None
    return peaks


def best_setting(peer, key, higher_is_better=False):
    """(setting, value) of the peer's best figure across its threading settings."""
    pick = max if higher_is_better else min
    name = pick(peer, key=lambda s: peer[s][key])
    return name, peer[name][key]


def report(results, models):
    peer, ours = results["peer"], results["distill"]
    default = peer.get("default") or next(iter(peer.values()))

    def accuracy(role):
        return models[role]["test"]["accuracy"]

    rows = [
        ("teacher epoch (s)", "teacher_epoch_s", ours["teacher_epoch_s"]),
        ("student epoch, labels only (s)", "student_ce_epoch_s", ours["student_ce_epoch_s"]),
        ("distillation epoch, live teacher (s)", "student_kd_epoch_s", ours["student_kd_live_epoch_s"]),
        ("distillation epoch, cached soft labels (s)", "student_kd_epoch_s",
         ours["student_kd_cached_epoch_s"]),
        (f"  + the cache's {ours['soft_label_cache_s']:.2f} s over {results['epochs']} epochs (s)",
         "student_kd_epoch_s", ours["student_kd_cached_epoch_amortised_s"]),
    ]
    print()
    print(f"training, same work, {results['threads']} threads, {results['epochs']} epochs each "
          f"(median epoch on both sides)")
    print(f"{'figure':52} {'peer dflt':>9} {'peer best':>16} {'distill':>8} {'vs dflt':>8} {'vs best':>8}")
    for name, key, mine in rows:
        theirs = default[key]
        setting, best = best_setting(peer, key)
        print(f"{name:52} {theirs:9.3f} {best:8.3f} ({setting:>5}) {mine:8.3f} {theirs / mine:7.1f}x "
              f"{best / mine:7.1f}x")
    print()
    print(f"{'test accuracy':52} {'peer':>9} {'distill':>9}")
    for name, key, role in (("teacher", "teacher_acc", "teacher"),
                            ("baseline student", "student_baseline_acc", "student_baseline"),
                            ("distilled student (live teacher)", "student_kd_acc", "student_distilled")):
        print(f"{name:52} {default[key]:9.4f} {accuracy(role):9.4f}")

    inference = results["inference"]
    peaks = results.get("cpu_peak") or {}
    threads = results["threads"]

    def fraction(throughput, kind):
        peak = peaks.get(kind)
        return "" if not peak else f"{100 * throughput * STUDENT_MACS / (peak * threads):5.1f} %"

    print()
    print("inference of the student (one statistic on both sides: median call, median of rounds; "
          "the programs alternating)")
    if peaks:
        amx = f", int8 AMX {peaks['int8_amx'] / 1e9:.0f} G/s" if peaks.get("int8_amx") else ""
        print(f"CPU peak per core: fp32 FMA {peaks['fp32_fma'] / 1e9:.0f} G multiply-adds/s, "
              f"int8 VNNI {peaks['int8_vnni'] / 1e9:.0f} G/s{amx}; x {threads} threads")
    print(f"{'':40} {'b1 us':>8} {'b256 /s':>11} {'of peak':>8}  accuracy")
    peer_rows = []
    for model, kind, acc_key in (("fp32", "fp32_fma", "student_kd_acc"),
                                 ("dynamic_int8", "int8", "student_kd_int8_acc")):
        for side in (f"peer_{s}" for s in results["peer_settings"]):
            figure = inference[side][model]
            peer_rows.append((side, model, figure))
            print(f"{side + ' ' + model:40} {figure['latency_us']:8.1f} {figure['throughput_per_s']:11.0f} "
                  f"{fraction(figure['throughput_per_s'], kind):>8}  {default[acc_key]:.4f}")
    ours_inference = inference["distill"]
    for name, key, kind, row in (("distill fp32", "fp32", "fp32_fma", "student_distilled"),
                                 ("distill int8, static PTQ", "int8_ptq", "int8", "student_int8"),
                                 ("distill int8, QAT + KD", "int8_qat", "int8", "student_int8_qat")):
        if key not in ours_inference:
            continue
        figure = ours_inference[key]
        print(f"{name:40} {figure['latency_us']:8.1f} {figure['throughput_per_s']:11.0f} "
              f"{fraction(figure['throughput_per_s'], kind):>8}  {accuracy(row):.4f}")
    if "int8_ptq" in ours_inference:
        int8 = ours_inference["int8_ptq"]["throughput_per_s"]
        fp32 = ours_inference["fp32"]["throughput_per_s"]
        peer_int8 = {side: f["throughput_per_s"] for side, model, f in peer_rows if model == "dynamic_int8"}
        best_side = max(peer_int8, key=peer_int8.get)
        print(f"int8 throughput: {int8 / fp32:.1f}x distill's fp32 (the ratio of the CPU's int8 and fp32 "
              f"peaks is {peaks['int8'] / peaks['fp32_fma']:.1f}x)" if peaks else
              f"int8 throughput: {int8 / fp32:.1f}x distill's fp32")
        print(f"                 {int8 / peer_int8.get('peer_default', float('nan')):.1f}x the peer's "
              f"dynamic int8 at its default, {int8 / peer_int8[best_side]:.1f}x at its best ({best_side})")
        fp32_model = models["student_distilled"]
        print(f"file {fp32_model['bytes'] / models['student_int8']['bytes']:.1f}x smaller than the fp32 "
              f"weights; PTQ {100 * (accuracy('student_int8') - accuracy('student_distilled')):+.2f} points "
              f"vs fp32")
    if "student_int8_qat" in models:
        print(f"QAT + KD {100 * (accuracy('student_int8_qat') - accuracy('student_distilled')):+.2f} "
              f"points vs the fp32 student")
    print(f"peak resident memory: peer {default.get('peak_rss_mib', float('nan')):.0f} MiB, "
          f"distill run {ours['peak_rss_mib']:.0f} MiB, distill (cached) "
          f"{ours['cached_distill_peak_rss_mib']:.0f} MiB")
    walls = ", ".join(f"{s} {peer[s].get('wall_s', float('nan')):.1f} s" for s in peer)
    print(f"wall time: peer {walls}; distill run {ours['wall_s']:.1f} s")
    base = ours["teacher_epoch_scaling"][-1]
    print("teacher epoch vs training-set size (linear growth = constant time per image):")
    for point in ours["teacher_epoch_scaling"]:
        print(f"  {point['images']:6d} images: {point['epoch_s']:.3f} s "
              f"({point['epoch_s'] / point['images'] * 1e6:.1f} us/image, "
              f"{point['epoch_s'] / base['epoch_s'] * base['images'] / point['images']:.2f} of full-set rate)")


if __name__ == "__main__":
    main()
