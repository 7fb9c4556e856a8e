#!/usr/bin/python3
"""Builds distill's text corpus: Debian 12's own package descriptions, labelled by section.

Every package of Debian 12 (bookworm) main has a section (admin, devel, games, libs, python, ...)
and an English description. This script joins the archive's Packages index (package, source,
section, Description-md5) with its Translation-en index (Description-md5 -> the description) on
Description-md5, keeps each distinct description once (the section of most of the packages that
share it; ties to the alphabetically first), and splits by *source* package — a stable hash of
the source's name — so that the near-identical descriptions of one source's binaries never
straddle train and test: 80 % train, 10 % validation, 10 % test.

  sudo /usr/bin/python3 scripts/build_debian_corpus.py [--out data/debian-descriptions]
       [--lists DIR] [--no-update]

The indexes are fetched into a lists folder of the script's own (--lists, default
build/debian-lists) with `apt-get -o Dir::State::Lists=DIR -o Acquire::Languages=en update`, so a
machine set to Acquire::Languages "none" still gets the English descriptions and the system's own
lists are untouched. The archive changes with point releases, so the output is a pinned snapshot:
train.tsv.gz, validation.tsv.gz and test.tsv.gz (label TAB text, one description per line) and
manifest.json (the indexes' Date and SHA-256 from the Release file, counts per split and section,
each output file's SHA-256). The snapshot is kept in the repository; figures name its manifest.
"""
import argparse
import collections
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = "bookworm"
SPLITS = (("train", 80), ("validation", 10), ("test", 10))


def fail(message, hint=None):
    sys.stderr.write(f"error: {message}\n" + (f"hint: {hint}\n" if hint else ""))
    raise SystemExit(1)


def fetch_lists(lists):
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    command = ["apt-get", "-q", "-o", f"Dir::State::Lists={lists}", "-o", "Acquire::Languages=en",
               "-o", "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false", "update"]
    if os.geteuid() != 0:
        command = ["sudo"] + command
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        fail(f"`{' '.join(command)}` failed:\n{result.stdout.decode(errors='replace')}",
             "the machine must reach its Debian mirror (see /etc/apt/sources.list*)")


def index_file(lists, pattern):
    """The one file in `lists` whose name matches `pattern` (any compression apt chose)."""
    names = [n for n in os.listdir(lists) if re.fullmatch(pattern + r"(\.(lz4|gz|xz|zst))?", n)]
    if len(names) != 1:
        fail(f"expected one index file matching '{pattern}' in '{lists}', found {names or 'none'}",
             "run without --no-update to fetch the indexes")
    return os.path.join(lists, names[0])


def decompressed(path):
    """An index file's bytes, decompressed by apt's own helper (whatever compression apt chose)."""
    return subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path], check=True,
                          stdout=subprocess.PIPE).stdout


def read_index(data):
    """The stanzas of a Debian index's text."""
    for block in data.decode("utf-8").split("\n\n"):
        fields, key = {}, None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line[1:]
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            yield fields


def description_text(raw):
    """One line of text from a Description-en: the synopsis, then the long description with
    its paragraph marks (a lone '.') and line breaks folded into spaces."""
    lines = raw.split("\n")
    parts = [lines[0].strip()]
    for line in lines[1:]:
        line = line.strip()
        if line and line != ".":
            parts.append(line)
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def split_of(source):
    bucket = int(hashlib.sha256(source.encode()).hexdigest(), 16) % 100
    edge = 0
    for name, share in SPLITS:
        edge += share
        if bucket < edge:
            return name
    raise AssertionError("shares must add up to 100")


def release_entry(lists, index_path, data):
    """The index as the signed InRelease file records it: its name, the release's Date and the
    SHA-256 of its uncompressed content, checked against `data` (what this script read)."""
    release = index_file(lists, rf".*_dists_{SUITE}_InRelease")
    text = open(release, encoding="utf-8", errors="replace").read()
    date = re.search(r"^Date: (.*)$", text, re.M).group(1)
    name = os.path.basename(index_path).split(f"_dists_{SUITE}_", 1)[1].replace("_", "/")
    name = re.sub(r"\.(lz4|gz|xz|zst)$", "", name)
    listed = re.search(rf"^ ([0-9a-f]{{64}}) +\d+ {re.escape(name)}$", text.split("SHA256:", 1)[1], re.M)
    read = hashlib.sha256(data).hexdigest()
    if listed is None or listed.group(1) != read:
        fail(f"'{index_path}' (SHA-256 {read}) does not match the {name} that '{release}' lists "
             f"({listed.group(1) if listed else 'none'})", "fetch the indexes again (drop --no-update)")
    return {"file": name, "release_date": date, "sha256": read}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "debian-descriptions"))
    ap.add_argument("--lists", default=os.path.join(ROOT, "build", "debian-lists"))
    ap.add_argument("--no-update", action="store_true", help="use the indexes already in --lists")
    a = ap.parse_args()
    if not a.no_update:
        fetch_lists(a.lists)
    packages_path = index_file(a.lists, rf".*_dists_{SUITE}_main_binary-amd64_Packages")
    translation_path = index_file(a.lists, rf".*_dists_{SUITE}_main_i18n_Translation-en")

    packages_data, translation_data = decompressed(packages_path), decompressed(translation_path)
    # Package -> (source, section) and md5 -> the packages that carry it.
    by_md5 = collections.defaultdict(list)
    for p in read_index(packages_data):
        if "Description-md5" not in p or "Section" not in p:
            continue
        source = p.get("Source", p["Package"]).split(" ")[0]
        section = p["Section"].split("/")[-1]  # "contrib/net" would be "net"; main has none
        by_md5[p["Description-md5"]].append((source, section))
    descriptions = {}
    for t in read_index(translation_data):
        if "Description-md5" in t and "Description-en" in t:
            descriptions[t["Description-md5"]] = description_text(t["Description-en"])

    rows = {name: [] for name, _ in SPLITS}
    for md5 in sorted(by_md5):
        text = descriptions.get(md5)
        if not text:
            continue
        carriers = by_md5[md5]
        counts = collections.Counter(section for _, section in carriers)
        section = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        source = sorted(s for s, _ in carriers)[0]
        rows[split_of(source)].append((section, text.replace("\t", " ")))

    os.makedirs(a.out, exist_ok=True)
    manifest = {"corpus": "Debian 12 (bookworm) main package descriptions, labelled by section",
                "joined_on": "Description-md5", "split": "sha256(source package) mod 100: "
                + ", ".join(f"{n} {s} %" for n, s in SPLITS), "indexes": [], "files": {}}
    for path, data in ((packages_path, packages_data), (translation_path, translation_data)):
        manifest["indexes"].append(release_entry(a.lists, path, data))
    sections = sorted({section for split in rows.values() for section, _ in split})
    manifest["sections"] = sections
    for name, _ in SPLITS:
        path = os.path.join(a.out, f"{name}.tsv.gz")
        tmp = path + ".tmp"
        # mtime 0: the same rows give the same bytes, so the manifest's hashes are reproducible
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write("label\ttext\n".encode())
            for section, text in rows[name]:
                out.write(f"{section}\t{text}\n".encode())
        os.replace(tmp, path)
        counts = collections.Counter(section for section, _ in rows[name])
        words = sorted(len(text.split()) for _, text in rows[name])
        manifest["files"][f"{name}.tsv.gz"] = {
            "rows": len(rows[name]), "sha256": sha256_of(path),
            "median_words": words[len(words) // 2] if words else 0,
            "per_section": dict(sorted(counts.items()))}
    tmp = os.path.join(a.out, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(a.out, "manifest.json"))
    total = sum(len(r) for r in rows.values())
    print(f"{total} descriptions in {len(sections)} sections: " +
          ", ".join(f"{n} {len(rows[n])}" for n, _ in SPLITS) + f" -> {a.out}")


if __name__ == "__main__":
    main()
