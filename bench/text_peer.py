#!/usr/bin/python3
"""The text pipeline's PyTorch peer and fastText, beside distill, on the Debian corpus.

What a PyTorch user would write for examples/text.yaml's models: the same token ids (the corpus
tokenized by distill's own SentencePiece helper, `distill-tokenizer`, with the same options, so
both sides read identical inputs), a pre-LN Transformer teacher (nn.TransformerEncoder,
norm_first, batch_first; AdamW, gradient clipping) and a fastText-style bag-of-embeddings student
(nn.EmbeddingBag over tokens and hashed bigrams; Adam) distilled on the teacher's cached logits.
It times one teacher epoch and one distillation epoch on the 48,974 training texts, in texts per
second, under each OpenMP setting (--settings), and reads distill's figures for the same stages
from a finished `distill run -c examples/text.yaml` (its *.training.json).

fastText (Debian `fasttext`) runs on the same splits: its accuracy, training time and per-text
latency (`fasttext predict` on the test texts, minus the cost of loading the model).

Usage:  /usr/bin/python3 bench/text_peer.py --run runs/text [--threads 2] [--json out.json]
Nothing else should run on the machine meanwhile: the figures are timings.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "data", "debian-descriptions")
HELPER = os.path.join(ROOT, "build", "cli", "distill-tokenizer")
OPENMP_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")
PEER_SETTINGS = {"default": {}, "passive": {"OMP_WAIT_POLICY": "PASSIVE"}}


def read_split(name):
    rows = [line.rstrip("\n").split("\t") for line in gzip.open(os.path.join(CORPUS, name), "rt")]
    header = rows[0]
    label, text = header.index("label"), header.index("text")
    return [r[text] for r in rows[1:]], [r[label] for r in rows[1:]]


def write_texts(path, texts):
    with open(path, "wb") as f:
        f.write(b"DTXT" + struct.pack("<I", len(texts)))
        for t in texts:
            b = t.encode()
            f.write(struct.pack("<I", len(b)) + b)


def read_ids(path):
    data = open(path, "rb").read()
    assert data[:4] == b"DIDS"
    (count,) = struct.unpack_from("<I", data, 4)
    offset, lists = 8, []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, offset)
        lists.append(list(struct.unpack_from("<%di" % n, data, offset + 4)))
        offset += 4 + 4 * n
    return lists


def tokenize(work, splits, vocab_size):
    write_texts(os.path.join(work, "train.bin"), splits["train"][0])
    subprocess.run([HELPER, "train", "--texts", os.path.join(work, "train.bin"), "--vocab-size",
                    str(vocab_size), "--out", os.path.join(work, "tok.model")], check=True)
    ids = {}
    for name, (texts, _) in splits.items():
        write_texts(os.path.join(work, name + ".bin"), texts)
        subprocess.run([HELPER, "encode", "--model", os.path.join(work, "tok.model"), "--texts",
                        os.path.join(work, name + ".bin"), "--out", os.path.join(work, name + ".ids")],
                       check=True)
        ids[name] = read_ids(os.path.join(work, name + ".ids"))
    return ids


PEER = r'''
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
d = torch.load(sys.argv[1])
ids, labels, V, K = d["ids"], d["labels"], d["vocab"], d["classes"]
N, L = ids.shape

class Teacher(torch.nn.Module):
    def __init__(s, E=128, H=4, F=512, layers=2, p=0.1):
        super().__init__()
        s.tok = torch.nn.Embedding(V, E, padding_idx=0)
        s.pos = torch.nn.Embedding(L, E)
        layer = torch.nn.TransformerEncoderLayer(E, H, F, dropout=p, activation="gelu",
                                                 batch_first=True, norm_first=True)
        s.enc = torch.nn.TransformerEncoder(layer, layers, norm=torch.nn.LayerNorm(E),
                                            enable_nested_tensor=False)
        s.drop = torch.nn.Dropout(p)
        s.head = torch.nn.Linear(E, K)
    def forward(s, x):
        h = s.drop(s.tok(x) + s.pos.weight[: x.shape[1]])
        h = s.enc(h, src_key_padding_mask=(x == 0))
        return s.head(s.drop(h[:, 0]))

class Bag(torch.nn.Module):
    def __init__(s, E=64, buckets=20000):
        super().__init__()
        s.buckets = buckets
        s.emb = torch.nn.EmbeddingBag(V + buckets, E, mode="mean")
        s.head = torch.nn.Linear(E, K)
    def forward(s, x):
        keep = x > 3
        big = (x[:, :-1] * 1000003 + x[:, 1:]) % s.buckets + V
        bigram_keep = keep[:, :-1] & keep[:, 1:]
        rows = torch.cat([x, big], 1)
        mask = torch.cat([keep, bigram_keep], 1)
        counts = mask.sum(1)
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)[:-1]])
        return s.head(s.emb(rows[mask], offsets))

def epoch(model, opt, loss_of, batch, clip=None):
    model.train()
    order = torch.randperm(N)
    start = time.perf_counter()
    for b in range(0, N, batch):
        i = order[b:b + batch]
        loss = loss_of(model, i)
        opt.zero_grad()
        loss.backward()
        if clip: torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    return time.perf_counter() - start

teacher = Teacher()
opt = torch.optim.AdamW(teacher.parameters(), lr=1e-3, weight_decay=0.01)
ce = torch.nn.functional.cross_entropy
teacher_s = epoch(teacher, opt, lambda m, i: ce(m(ids[i]), labels[i]), 64, clip=1.0)
teacher.eval()
with torch.no_grad():
    start = time.perf_counter()
    logits = torch.cat([teacher(ids[b:b + 500]) for b in range(0, N, 500)])
    label_s = time.perf_counter() - start
student = Bag()
opt = torch.optim.Adam(student.parameters(), lr=0.005)
def kd(m, i, T=1.0, alpha=0.1):
    z = m(ids[i])
    soft = torch.nn.functional.kl_div(torch.log_softmax(z / T, 1), torch.softmax(logits[i] / T, 1),
                                      reduction="batchmean") * T * T
    return alpha * ce(z, labels[i]) + (1 - alpha) * soft
distill_s = epoch(student, opt, kd, 64)
print(json.dumps({"teacher_epoch_s": teacher_s, "soft_label_s": label_s,
                  "distill_epoch_s": distill_s, "texts": N}))
'''


def rows_tensor(torch, lists, max_tokens):
    out = torch.zeros(len(lists), max_tokens, dtype=torch.long)
    for i, ids in enumerate(lists):
        row = [2] + ids[: max_tokens - 1]
        out[i, : len(row)] = torch.tensor(row)
    return out


def distill_figures(run):
    """Seconds per epoch and texts per epoch of a finished distill run's stages."""
    def stage(name):
        with open(os.path.join(run, name + ".training.json")) as f:
            t = json.load(f)
        seconds = [e["seconds"] for e in t["history"]]
        return sum(seconds) / len(seconds), t
    results = json.load(open(os.path.join(run, "results.json")))
    teacher_s, _ = stage("teacher")
    distilled_s, distilled = stage("student_distilled")
    train_texts = results["data"]["train_samples"]
    copies = 0
    objective = results["models"]["student_distilled"]["objective"]
    if "augmented copies each" in objective:
        copies = int(objective.split(" + ")[-1].split(" augmented")[0])
    return {"teacher_epoch_s": teacher_s, "teacher_texts": train_texts,
            "distill_epoch_s": distilled_s, "distill_texts": train_texts * (1 + copies),
            "models": {k: {"accuracy": v["test"]["accuracy"], "macro_f1": v["test"]["macro_f1"],
                           "latency_us": (v.get("speed") or {}).get("latency_us_batch1_median")}
                       for k, v in results["models"].items()}}


def fasttext(work, splits, threads):
    def write(name):
        path = os.path.join(work, name + ".ft")
        with open(path, "w") as f:
            for text, label in zip(*splits[name]):
                f.write("__label__%s %s\n" % (label, text.replace("\n", " ")))
        return path
    train, test = write("train"), write("test")
    model = os.path.join(work, "ft")
    start = time.perf_counter()
    subprocess.run(["fasttext", "supervised", "-input", train, "-output", model, "-dim", "64",
                    "-wordNgrams", "2", "-bucket", "20000", "-epoch", "10", "-lr", "0.5",
                    "-thread", str(threads), "-verbose", "0"], check=True)
    train_s = time.perf_counter() - start
    out = subprocess.run(["fasttext", "test", model + ".bin", test], capture_output=True, text=True,
                         check=True).stdout
    accuracy = float(out.split("P@1")[1].split()[0])
    texts = "".join(t.replace("\n", " ") + "\n" for t in splits["test"][0])
    def predict_seconds(lines):
        start = time.perf_counter()
        subprocess.run(["fasttext", "predict", model + ".bin", "-"], input=lines, text=True,
                       capture_output=True, check=True)
        return time.perf_counter() - start
    load = min(predict_seconds(texts.split("\n", 1)[0] + "\n") for _ in range(3))
    whole = min(predict_seconds(texts) for _ in range(3))
    return {"accuracy": accuracy, "train_s": train_s,
            "latency_us": 1e6 * (whole - load) / len(splits["test"][0]),
            "options": "-dim 64 -wordNgrams 2 -bucket 20000 -epoch 10 -lr 0.5"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a finished distill run of examples/text.yaml")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--settings", default="default,passive")
    parser.add_argument("--json")
    args = parser.parse_args()
    splits = {name: read_split(name + ".tsv.gz") for name in ("train", "test")}
    report = {"distill": distill_figures(args.run), "peer": {}, "threads": args.threads}
    with tempfile.TemporaryDirectory() as work:
        import torch
        ids = tokenize(work, splits, args.vocab_size)
        classes = sorted(set(splits["train"][1]))
        torch.save({"ids": rows_tensor(torch, ids["train"], args.max_tokens),
                    "labels": torch.tensor([classes.index(l) for l in splits["train"][1]]),
                    "vocab": args.vocab_size, "classes": len(classes)},
                   os.path.join(work, "data.pt"))
        script = os.path.join(work, "peer.py")
        open(script, "w").write(PEER)
        for setting in args.settings.split(","):
            env = {k: v for k, v in os.environ.items() if k not in OPENMP_SETTINGS}
            env.update(PEER_SETTINGS[setting])
            out = subprocess.run(["/usr/bin/python3", script, os.path.join(work, "data.pt"),
                                  str(args.threads)], env=env, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit("the peer failed: " + out.stderr[-2000:])
            report["peer"][setting] = json.loads(out.stdout.strip().splitlines()[-1])
            print(setting, report["peer"][setting], flush=True)
        report["fasttext"] = fasttext(work, {"train": splits["train"], "test": splits["test"]},
                                      args.threads)
    d, peers = report["distill"], report["peer"]
    best = {k: min(p[k] / p["texts"] for p in peers.values()) for k in ("teacher_epoch_s", "distill_epoch_s")}
    print("\n%-34s %12s %12s %12s %8s" % ("texts/s (training)", "peer default", "peer best", "distill", "vs best"))
    for key, texts in (("teacher_epoch_s", "teacher_texts"), ("distill_epoch_s", "distill_texts")):
        ours = d[texts] / d[key]
        default = peers["default"]["texts"] / peers["default"][key]
        print("%-34s %12.0f %12.0f %12.0f %7.2fx" % (key.replace("_s", ""), default, 1 / best[key],
                                                    ours, ours * best[key]))
    ft = report["fasttext"]
    print("\nfastText %s: accuracy %.4f, trained in %.1f s, %.1f us per text (predict)"
          % (ft["options"], ft["accuracy"], ft["train_s"], ft["latency_us"]))
    for name, m in d["models"].items():
        print("distill %-20s accuracy %.4f  macro F1 %.4f  %s us per text" %
              (name, m["accuracy"], m["macro_f1"], m["latency_us"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
