#!/usr/bin/python3
"""The HTML report, opened in a real browser (headless Chromium).

Two tiny `distill run`s (two seeds) are made; the report of the first run (written by
`distill run`) and the side-by-side report of both (`distill report`) are each opened in
Chromium with a probe script injected into a copy of the page (report_probe.js). The test
asserts that the page raised no JavaScript error, that every chart drew (its canvas holds pixels
of its datasets' colours), and that every figure the page shows — the table, the frontier
points, the training curves, per-class accuracy, agreement, the confusion matrices, the gain,
the effective config — equals the one in the runs' results.json / config.yaml. A screenshot of
each report is written next to it.
"""
import argparse
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = ["-q", "-j", "1",
        "--set", "data.train_limit=600", "--set", "data.validation_size=100",
        "--set", "data.test_limit=200", "--set", "teacher.train.epochs=2",
        "--set", "student.train.epochs=2", "--set", "quantize.calibration_samples=200",
        "--set", "quantize.qat_epochs=1", "--set", "evaluation.latency_repetitions=20"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--hide-scrollbars"]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def chromium(binary, profile, *arguments):
    command = [binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + list(arguments)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit("chromium failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr))
    return done


def probe(binary, profile, report_path):
    """What the page shows, read back by the probe script in a copy of the report."""
    page = open(report_path, encoding="utf-8").read()
    script = open(os.path.join(HERE, "report_probe.js"), encoding="utf-8").read()
    check("<head>" in page, report_path + ": no <head>")
    probed = page.replace("<head>", "<head>\n<script>" + script + "</script>", 1)
    probed_path = report_path[:-len(".html")] + ".probe.html"
    with open(probed_path, "w", encoding="utf-8") as f:
        f.write(probed)
    done = chromium(binary, profile, "--virtual-time-budget=15000", "--dump-dom",
                    "file://" + probed_path)
    # The last such element: the one the probe appended to the body.
    matches = re.findall(r'<pre id="probe-result">(.*?)</pre>', done.stdout, re.S)
    if not matches:
        sys.exit("the probe wrote no result for %s; Chromium said:\n%s" % (report_path, done.stderr))
    for line in done.stderr.splitlines():
        check("Uncaught" not in line, "%s: console error: %s" % (report_path, line))
    return json.loads(html.unescape(matches[-1]))


def same(a, b):
    """Equal figures: numbers parsed from the page's text equal the JSON's doubles exactly
    (both round-trip), null stays null."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return float(a) == float(b) or (math.isnan(float(a)) and math.isnan(float(b)))
    return a == b


def cell_value(text):
    return None if text == "" else float(text)


def check_page(seen, runs, where):
    """Every figure of `seen` (the probe's readout) against the runs' files."""
    check(seen["errors"] == [], "%s: JavaScript errors: %s" % (where, seen["errors"]))
    check(seen["rendered"], where + ": the report script did not finish")
    by_id = {c["id"]: c for c in seen["charts"]}
    for chart in seen["charts"]:
        check(chart["painted"] > 0 and chart["dataColoured"] > 0,
              "%s: chart %s drew nothing of its data (%d pixels painted, %d in data colours)"
              % (where, chart["id"], chart["painted"], chart["dataColoured"]))
    expected_charts = ["frontier-latency", "frontier-bytes"]
    for i in range(len(runs)):
        expected_charts += ["training-train_loss-%d" % i, "training-validation_accuracy-%d" % i,
                            "per-class-%d" % i, "agreement-%d" % i]
    for chart_id in expected_charts:
        check(chart_id in by_id, "%s: chart %s missing" % (where, chart_id))
    if failures:
        return

    # The side-by-side table: one row per model of every run, each figure as in results.json.
    fields = {"parameters": lambda m: m["parameters"], "bytes": lambda m: m["bytes"],
              "accuracy": lambda m: m["test"]["accuracy"],
              "macro_f1": lambda m: m["test"]["macro_f1"],
              "agreement_with_teacher": lambda m: m["test"]["agreement_with_teacher"],
              "mean_nll": lambda m: m["test"]["mean_nll"],
              "latency_us_batch1_median": lambda m: (m.get("speed") or {}).get("latency_us_batch1_median"),
              "throughput_per_s": lambda m: (m.get("speed") or {}).get("throughput_per_s"),
              "training_seconds": lambda m: (m.get("training") or {}).get("seconds")}
    rows = {(r["run"], r["model"]): r["cells"] for r in seen["rows"]}
    order = [(r["run"], r["model"]) for r in seen["rows"]]
    expected_order = [(name, key) for name, (results, _) in runs.items() for key in results["model_order"]]
    check(order == expected_order, "%s: table rows in the order %s, expected %s" % (where, order, expected_order))
    expected_rows = {(name, key) for name, (results, _) in runs.items() for key in results["models"]}
    check(set(rows) == expected_rows, "%s: table rows %s, expected %s" % (where, sorted(rows), sorted(expected_rows)))
    for name, (results, config) in runs.items():
        models = results["models"]
        for key, model in models.items():
            cells = rows.get((name, key), {})
            check(cells.get("title") is not None and model["title"] in cells.get("title", ""),
                  "%s: %s/%s title %r" % (where, name, key, cells.get("title")))
            for field, value_of in fields.items():
                check(same(cell_value(cells.get(field, "")), value_of(model)),
                      "%s: %s/%s %s shows %r, results.json has %r"
                      % (where, name, key, field, cells.get(field), value_of(model)))

        # Frontier: one point per model (latency: those timed), at (x, test accuracy).
        for chart_id, x_of in (("frontier-latency", fields["latency_us_batch1_median"]),
                               ("frontier-bytes", fields["bytes"])):
            points = {d["model"]: d["data"] for d in by_id[chart_id]["datasets"] if d["run"] == name}
            for key, model in models.items():
                x = x_of(model)
                if x is None:
                    check(key not in points, "%s: %s has a point for untimed %s" % (where, chart_id, key))
                    continue
                check(points.get(key) == [{"x": x, "y": model["test"]["accuracy"]}],
                      "%s: %s point of %s/%s is %r, expected (%r, %r)"
                      % (where, chart_id, name, key, points.get(key), x, model["test"]["accuracy"]))

        index = list(runs).index(name)
        # Training curves: every trained model's history, per epoch.
        for field in ("train_loss", "validation_accuracy"):
            lines = {d["model"]: d["data"] for d in by_id["training-%s-%d" % (field, index)]["datasets"]}
            for key, model in models.items():
                history = (model.get("training") or {}).get("history") or []
                if not history:
                    check(key not in lines, "%s: a training curve for untrained %s" % (where, key))
                    continue
                expected = [e[field] if e[field] >= 0 or field != "validation_accuracy" else None
                            for e in history]
                check(lines.get(key) == expected, "%s: %s curve of %s/%s is %r, expected %r"
                      % (where, field, name, key, lines.get(key), expected))
        # Per-class accuracy: a bar per class per model; the class names as labels.
        per_class = by_id["per-class-%d" % index]
        check(per_class["labels"] == results["data"]["class_names"],
              "%s: per-class labels %r" % (where, per_class["labels"]))
        bars = {d["model"]: d["data"] for d in per_class["datasets"]}
        for key, model in models.items():
            check(bars.get(key) == model["test"]["per_class_accuracy"],
                  "%s: per-class accuracy of %s/%s" % (where, name, key))
        # Agreement: every model that has one.
        agreement = by_id["agreement-%d" % index]["datasets"][0]
        expected = {k: m["test"]["agreement_with_teacher"] for k, m in models.items()
                    if m["test"]["agreement_with_teacher"] is not None}
        check(dict(zip(agreement["models"], agreement["data"])) == expected,
              "%s: agreement bars %r, expected %r" % (where, agreement, expected))
        check(len(expected) >= 2, "%s: the tiny run should have students to compare" % where)
        # Confusion matrices, gain, effective config.
        matrices = {c["model"]: c["matrix"] for c in seen["confusion"] if c["run"] == name}
        for key, model in models.items():
            check(matrices.get(key) == model["test"]["confusion"],
                  "%s: confusion matrix of %s/%s" % (where, name, key))
        gains = [g["value"] for g in seen["gains"] if g["run"] == name]
        check(gains == [results["distillation_gain_points"]],
              "%s: gain %r, expected %r" % (where, gains, results["distillation_gain_points"]))
        configs = [c["text"] for c in seen["configs"] if c["run"] == name]
        check(configs == [config], "%s: the effective config of %s differs from config.yaml" % (where, name))


def screenshot(binary, profile, report_path):
    png = report_path[:-len(".html")] + ".png"
    chromium(binary, profile, "--window-size=1280,2600", "--virtual-time-budget=5000",
             "--screenshot=" + png, "file://" + report_path)
    check(os.path.isfile(png) and os.path.getsize(png) > 20000,
          "screenshot %s missing or blank" % png)
    with open(png, "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", png + " is not a PNG")
    return png


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--distill", required=True)
    parser.add_argument("--chromium", default="")
    parser.add_argument("--work", help="work in this folder (emptied first) and keep it: the "
                        "runs, reports and screenshots stay for a look")
    a = parser.parse_args()
    if not a.chromium or not os.access(a.chromium, os.X_OK):
        sys.exit("no Chromium to open the report in (looked for chromium-headless-shell and "
                 "chromium): install Debian's chromium-headless-shell (scripts/install-deps.sh "
                 "does), then re-run cmake")
    if a.work:
        shutil.rmtree(a.work, ignore_errors=True)
    work = a.work or tempfile.mkdtemp(prefix="distill-report-")
    os.makedirs(work, exist_ok=True)
    profile = os.path.join(work, "chromium-profile")
    try:
        runs = {}
        for seed in (0, 1):
            name = "tiny-seed-%d" % seed
            run_dir = os.path.join(work, name)
            subprocess.run([a.distill, "run", "-o", run_dir, "--set", "seed=%d" % seed] + TINY,
                           check=True, timeout=600)
            results = json.load(open(os.path.join(run_dir, "results.json"), encoding="utf-8"))
            config = open(os.path.join(run_dir, "config.yaml"), encoding="utf-8").read()
            runs[name] = (results, config)

        first = os.path.join(work, "tiny-seed-0", "report.html")
        check(os.path.isfile(first), "distill run wrote no report.html")
        page = open(first, encoding="utf-8").read()
        check(not re.search(r'<(script|link|img)[^>]+(src|href)=', page),
              "the report loads a file; it must be self-contained")
        check_page(probe(a.chromium, profile, first), {"tiny-seed-0": runs["tiny-seed-0"]}, first)
        print("screenshot:", screenshot(a.chromium, profile, first))

        both = os.path.join(work, "both.html")
        subprocess.run([a.distill, "report", os.path.join(work, "tiny-seed-0"),
                        os.path.join(work, "tiny-seed-1"), "-o", both], check=True, timeout=60)
        check_page(probe(a.chromium, profile, both), runs, both)
        print("screenshot:", screenshot(a.chromium, profile, both))
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    for message in failures:
        print("FAIL:", message)
    if failures:
        sys.exit(1)
    print("report checked in the browser: no errors, every chart drew, every figure as in results.json")


if __name__ == "__main__":
    main()
