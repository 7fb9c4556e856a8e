#!/usr/bin/python3
"""The PyTorch peer's student at inference, timed with distill's own method
(src/evaluation/speed.cpp), so both sides of bench/compare_with_peer.py use one statistic.

The peer (../shared/peers/torch_kd.py) times a mean of 20 calls; distill times the median call of
at least 200 batch-1 calls and 0.1 s (latency) and of at least 50 batch-256 calls and 0.2 s
(throughput), after a warm-up of a few calls and 20 ms, in rounds whose medians it reports. This
script does exactly that for the peer's models: the student MLP 784-100-10 as torch_kd.py builds
it (nn.Sequential of nn.Linear and nn.ReLU) and its torch.quantization.quantize_dynamic int8
form. Weights are the initial ones (inference time does not depend on their values).

  /usr/bin/python3 bench/peer_inference.py [--threads 2] [--rounds 3]

Prints one JSON line: per model, the latency (us, median) and the throughput (images/s).
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def timed_calls(call, repetitions, min_seconds, max_calls=20000):
    seconds = []
    begin = time.perf_counter()
    while len(seconds) < repetitions or (time.perf_counter() - begin < min_seconds
                                         and len(seconds) < max_calls):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)


def warm_up(call, min_calls):
    begin = time.perf_counter()
    i = 0
    while i < min_calls or (time.perf_counter() - begin < 0.02 and i < 1000):
        call()
        i += 1


def measure_round(model, batch):
    single, large = torch.randn(1, 784), torch.randn(batch, 784)
    with torch.no_grad():
        one = lambda: model(single)
        warm_up(one, 10)
        latencies = timed_calls(one, 200, 0.1)
        many = lambda: model(large)
        warm_up(many, 3)
        calls = timed_calls(many, 50, 0.2)
    return {"latency_us": 1e6 * latencies[len(latencies) // 2],
            "throughput_per_s": batch / calls[len(calls) // 2]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fp32 = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10)).eval()
    int8 = torch.quantization.quantize_dynamic(fp32, {nn.Linear}, dtype=torch.qint8)
    models = {"fp32": fp32, "dynamic_int8": int8}
    rounds = {name: [] for name in models}
    for _ in range(a.rounds):  # each round times every model in turn, as distill does
        for name, model in models.items():
            rounds[name].append(measure_round(model, a.batch))
    result = {}
    for name, figures in rounds.items():
        latency = sorted(f["latency_us"] for f in figures)
        throughput = sorted(f["throughput_per_s"] for f in figures)
        result[name] = {"latency_us": latency[len(latency) // 2],
                        "throughput_per_s": throughput[len(throughput) // 2]}
    result["qengine"] = torch.backends.quantized.engine
    print(json.dumps(result))


if __name__ == "__main__":
    main()
