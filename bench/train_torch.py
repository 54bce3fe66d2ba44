"""Reference training throughput for `npm run bench -- train`: PyTorch on CPU.

Trains the same two models bench/train.ts trains with TF.js (the reference CNN and an MLP),
batch 64, Adam (lr 1e-3), on random data of the right shape, with a fixed thread count, and
prints one JSON line per model: {"model", "threads", "steps", "seconds", "cpu_seconds",
"samples_per_s", "samples_per_cpu_s"} (cpu: process CPU time, immune to other processes on the machine).
Warm-up steps are excluded from the timing.

usage: python3 bench/train_torch.py --threads 1 [--steps 30] [--warmup 5] [--models cnn,mlp]
"""
import argparse
import json
import time

import torch
from torch import nn


def cnn() -> nn.Module:
    # Keras layout: input 28x28x1, conv 3x3 32 relu, maxpool 2, conv 3x3 64 relu, maxpool 2,
    # flatten, dense 128 relu, dense 10 softmax (the softmax lives in the loss here).
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def bench(name: str, model: nn.Module, batch: int, steps: int, warmup: int, threads: int) -> dict:
    g = torch.Generator().manual_seed(0)
    n_batches = 8
    xs = [torch.rand(batch, 1, 28, 28, generator=g) for _ in range(n_batches)]
    ys = [torch.randint(0, 10, (batch,), generator=g) for _ in range(n_batches)]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(i: int) -> None:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs[i % n_batches]), ys[i % n_batches])
        loss.backward()
        opt.step()

    for i in range(warmup):
        step(i)
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(steps):
        step(i)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    return {
        "model": name, "threads": threads, "batch": batch, "steps": steps, "seconds": seconds, "cpu_seconds": cpu_seconds,
        "samples_per_s": steps * batch / seconds, "samples_per_cpu_s": steps * batch / cpu_seconds,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--models", default="cnn,mlp")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    builders = {"cnn": cnn, "mlp": mlp}
    for name in a.models.split(","):
        r = bench(name, builders[name](), a.batch, a.steps, a.warmup, a.threads)
        r["torch"] = torch.__version__
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
