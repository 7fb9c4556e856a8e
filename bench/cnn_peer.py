#!/usr/bin/python3
"""PyTorch peer of distill's CNN training, written the way a PyTorch user would.

The ResNet-style networks of examples/methods/cnn_under_100k.yaml (models/staged_cnn.cpp: a
3x3 conv-bn-relu stem, one basic block per stage, stride 2 from the second stage on with a 1x1
conv-bn shortcut, global average pooling, a linear head), trained on Fashion-MNIST with the
same augmentation (shift by up to 2 pixels, horizontal flip), SGD with Nesterov momentum and
weight decay, batch 128. Two jobs, each timed per epoch with a validation pass at its end, as
distill's epochs are:

  teacher  the teacher (32-64-128) on the labels;
  distill  the student (16-32-64) on alpha*CE + (1-alpha)*T^2*KL from a live teacher (eval
           mode, no gradient) on the same augmented batch.

Prints one JSON line: the median epoch seconds and images per second. The peer at its best is
a matter of its environment (bench/compare_with_peer.py runs it so): OMP_WAIT_POLICY=PASSIVE,
glibc's heap set to keep freed memory (MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=1073741824, what distill sets in-process), and --channels-last.
Run with Debian's python3-torch (/usr/bin/python3).
"""
import argparse, gzip, json, struct, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

D = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_train(limit):
    x = torch.from_numpy(idx(f"{D}/train-images-idx3-ubyte.gz")[:limit].copy()).float().div(255)
    y = torch.from_numpy(idx(f"{D}/train-labels-idx1-ubyte.gz")[:limit].copy()).long()
    x = (x.unsqueeze(1) - 0.286) / 0.353
    return x, y


class ConvBn(nn.Sequential):
    def __init__(self, cin, cout, k, stride):
        super().__init__(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBn(cin, cout, 3, stride)
        self.conv2 = ConvBn(cout, cout, 3, 1)
        self.shortcut = ConvBn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        residual = self.shortcut(x) if self.shortcut is not None else x
        return F.relu(self.conv2(F.relu(self.conv1(x))) + residual)


class ResNet(nn.Module):
    def __init__(self, channels, classes=10):
        super().__init__()
        self.stem = ConvBn(1, channels[0], 3, 1)
        blocks, width = [], channels[0]
        for s, c in enumerate(channels):
            blocks.append(Block(width, c, 2 if s > 0 else 1))
            width = c
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.head(x.mean((2, 3)))


def augment(x, max_shift=2):
    """Shift by pad-and-crop (one offset per sample) and flip half the batch."""
    n = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    rows = (dy.view(n, 1) + torch.arange(x.shape[2])).view(n, -1, 1)
    cols = (dx.view(n, 1) + torch.arange(x.shape[3])).view(n, 1, -1)
    out = padded[:, 0][torch.arange(n).view(n, 1, 1), rows, cols].unsqueeze(1)
    flip = torch.rand(n) < 0.5
    return torch.where(flip.view(n, 1, 1, 1), out.flip(3), out)


def run_epochs(model, x, y, val_x, epochs, step, memory_format):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 128):
            rows = perm[i:i + 128]
            xb = augment(x[rows]).contiguous(memory_format=memory_format)
            opt.zero_grad(set_to_none=True)
            step(model, xb, y[rows]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for i in range(0, val_x.shape[0], 1000):
                model(val_x[i:i + 1000].contiguous(memory_format=memory_format))
        seconds.append(time.perf_counter() - start)
    return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", choices=["teacher", "distill"], required=True)
    p.add_argument("--train-samples", type=int, default=10000)
    p.add_argument("--validation-samples", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--channels-last", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    x, y = load_train(args.train_samples + args.validation_samples)
    x, y, val_x = x[:args.train_samples], y[:args.train_samples], x[args.train_samples:]

    if args.job == "teacher":
        model = ResNet([32, 64, 128]).to(memory_format=memory_format)

        def step(m, xb, yb):
            return F.cross_entropy(m(xb), yb)
    else:
        model = ResNet([16, 32, 64]).to(memory_format=memory_format)
        teacher = ResNet([32, 64, 128]).to(memory_format=memory_format).eval()
        T, alpha = 4.0, 0.5

        def step(m, xb, yb):
            with torch.no_grad():
                soft = F.softmax(teacher(xb) / T, dim=1)
            logits = m(xb)
            kl = F.kl_div(F.log_softmax(logits / T, dim=1), soft, reduction="batchmean")
            return alpha * F.cross_entropy(logits, yb) + (1 - alpha) * T * T * kl

    seconds = run_epochs(model, x, y, val_x, args.epochs, step, memory_format)
    median = sorted(seconds)[len(seconds) // 2]
    print(json.dumps({"job": args.job, "threads": args.threads,
                      "channels_last": args.channels_last, "epoch_seconds": seconds,
                      "median_epoch_seconds": median,
                      "images_per_second": args.train_samples / median,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
