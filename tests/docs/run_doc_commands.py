#!/usr/bin/python3
"""Runs every `distill` command that README.md and docs/*.md show in a ```sh block, as a reader
would type it, on tiny data: the commands stay as written, with the built binaries' paths and a
few `--set` settings appended (a few hundred samples, one epoch). Files the docs call by a
placeholder name (student.pt, teacher.pt) are made first, as a reader of the docs would have.

  run_doc_commands.py --root REPO --distill BIN --int8-classify BIN --int8-classify-text BIN

Lines that build, test or benchmark (scripts/, ctest, cmake, python3 bench/...) are not run:
their own tests and CI cover them. A trailing comment that is a bare number (`# 0`) is the
output the docs promise and is checked. Exits non-zero naming the file, line and output of the
first command that fails. Prints 'N passed, N failed'.
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

TINY = ["-q", "-j", "1",
        "--set", "data.train_limit=600", "--set", "data.validation_size=100",
        "--set", "data.test_limit=200", "--set", "teacher.train.epochs=1",
        "--set", "student.train.epochs=1", "--set", "quantize.calibration_samples=200",
        "--set", "quantize.qat_epochs=1"]
NO_SPEED = ["--set", "evaluation.speed=false"]
# Text configs read the whole Debian corpus (every class must be in the training split): small
# models, short texts and a small vocabulary instead of a sample limit.
TEXT_TINY = ["-q", "-j", "1",
             "--set", "data.text.max_tokens=16", "--set", "data.text.tokenizer.vocab_size=400",
             "--set", "teacher.model.embedding_dim=16", "--set", "teacher.model.layers=1",
             "--set", "teacher.model.heads=2", "--set", "teacher.model.feed_forward=16",
             "--set", "teacher.train.epochs=1", "--set", "teacher.train.warmup_epochs=0",
             "--set", "student.train.epochs=1", "--set", "student.model.bigram_buckets=1000",
             "--set", "distill.transfer_set.copies=1", "--set", "quantize.calibration_samples=200"]
# Subcommands that train or evaluate (and take config settings); bench times, so it keeps speed.
SUBCOMMANDS = {"run", "train", "distill", "evaluate", "quantize", "export", "bench", "describe"}


def sh_blocks(path):
    """(line number, command) for every command line of every ```sh block in `path`."""
    lines = open(path, encoding="utf-8").read().split("\n")
    inside, pending, start = False, "", 0
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            inside = line.strip() in ("```sh", "```bash")
            continue
        if not inside:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command, pending = pending + line, ""
        if command.strip():
            yield start, command.strip()


def rewrite(command, distill, classify, classify_text):
    """The command with binaries resolved, optional [...] parts dropped and tiny settings added;
    None for commands this test does not run. Returns (argv or shell text, expected output)."""
    expected = None
    match = re.search(r"\s+#\s*(.*)$", command)
    if match:
        comment = match.group(1).strip()
        command = command[:match.start()]
        if re.fullmatch(r"\d+", comment):
            expected = comment
    command = re.sub(r"\s*\[[^\]]*\]", "", command)  # optional arguments in the synopsis
    segments = [s.strip() for s in command.split("&&")]
    runnable = [s for s in segments
                if re.match(r"(build/cli/)?distill\s|build/examples/runtime/|ldd\s", s)]
    if not runnable:
        return []
    out = []
    for segment in runnable:
        segment = re.sub(r"^(build/cli/)?distill\b", distill, segment)
        segment = re.sub(r"(?<![\w/])build/examples/runtime/int8_classify(_text)?\b",
                         lambda m: classify_text if m.group(1) else classify, segment)
        if segment.startswith(distill):
            words = shlex.split(segment)
            if len(words) > 1 and words[1] in SUBCOMMANDS:
                tiny = TEXT_TINY if "examples/text.yaml" in words else TINY
                words += tiny + ([] if words[1] == "bench" else NO_SPEED)
            out.append((words, None))
        else:
            out.append((segment, expected))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--distill", required=True)
    ap.add_argument("--int8-classify", required=True)
    ap.add_argument("--int8-classify-text", required=True)
    a = ap.parse_args()

    files = [os.path.join(a.root, "README.md")] + sorted(glob.glob(os.path.join(a.root, "docs", "*.md")))
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="distill-doc-commands-") as work:
        # The repository's examples and data, where the docs' relative paths find them (they are
        # run from the repository root); texts.txt is the docs' placeholder for a user's texts.
        for folder in ("examples", "data"):
            os.symlink(os.path.join(a.root, folder), os.path.join(work, folder))
        with open(os.path.join(work, "texts.txt"), "w") as f:
            f.write("Python bindings for the GNU Scientific Library\nA puzzle game for the terminal\n")
        # The files the docs name as placeholders, made the way the docs say.
        for role, name in (("teacher", "teacher.pt"), ("student", "student.pt")):
            subprocess.run([a.distill, "train", "--role", role, "-o", name] + TINY + NO_SPEED,
                           cwd=work, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for path in files:
            for number, command in sh_blocks(path):
                for argv, expected in rewrite(command, a.distill, a.int8_classify,
                                              a.int8_classify_text):
                    where = f"{os.path.relpath(path, a.root)}:{number}"
                    shell = isinstance(argv, str)
                    result = subprocess.run(argv if shell else argv, shell=shell, cwd=work,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            executable="/bin/bash" if shell else None)
                    output = result.stdout.decode(errors="replace")
                    ok = (output.strip() == expected) if expected is not None else result.returncode == 0
                    shown = argv if shell else " ".join(shlex.quote(w) for w in argv)
                    if ok:
                        passed += 1
                        print(f"ok    {where}: {shown}")
                    else:
                        failed += 1
                        print(f"FAIL  {where}: {shown}\n      exit {result.returncode}"
                              + (f", expected output {expected!r}" if expected is not None else "")
                              + "\n" + "".join("      " + l + "\n" for l in output.splitlines()[-15:]))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
