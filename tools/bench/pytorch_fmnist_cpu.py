#!/usr/bin/env python3
"""PyTorch's CPU side of the fmnist_2c2d comparison (tools/bench/cpu_vs_pytorch.sh runs it next to
deepobs-cpp's bench_problem_step --epochs).

The same shapes as deepobs-cpp's fmnist_2c2d (SPEC section 3.3): conv 5x5x32 'same' + ReLU,
max-pool 2x2/2, conv 5x5x64 'same' + ReLU, max-pool 2x2/2, dense 3136->1024 + ReLU, dense 1024->10,
softmax cross-entropy; batch 128; SGD momentum 0.9, lr 0.01. Initialisation does not matter for
speed and is PyTorch's default. The training images stay resident as one uint8 tensor, as in
deepobs-cpp: per epoch a random permutation, per step an index_select and a conversion to f32/255.
Every epoch drops its remainder (60,000 images: 468 steps of 128), as deepobs-cpp's does.

One step = next batch + zero_grad + forward + backward + update. Per-step wall times of every step
of --epochs full epochs after --warmup steps; JSON on stdout (step_ms_median, epoch_s, ...).

  pytorch_fmnist_cpu.py --data_dir DIR [--threads 2] [--epochs 1] [--warmup 5] [--steps N]

DIR holds train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (MNIST format).
--steps N stops each epoch after N steps (a quick check; epoch_s is then the time of N steps).
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(folder, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            rank = data[3]
            shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)
    sys.exit(f"pytorch_fmnist_cpu.py: no {name}[.gz] in {folder}; pass --data_dir of an MNIST-format folder")


def model_2c2d():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, 10))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data_dir", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=0, help="steps per epoch (0: the full epoch)")
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    if a.threads < 1 or a.epochs < 1 or a.warmup < 0 or a.steps < 0 or a.batch_size < 1:
        sys.exit("pytorch_fmnist_cpu.py: need --threads, --epochs, --batch_size >= 1 and --warmup, --steps >= 0")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = torch.from_numpy(read_idx(a.data_dir, "train-images-idx3-ubyte").copy())
    labels = torch.from_numpy(read_idx(a.data_dir, "train-labels-idx1-ubyte").astype(np.int64))
    n = images.shape[0]
    steps_per_epoch = n // a.batch_size
    if a.steps:
        steps_per_epoch = min(steps_per_epoch, a.steps)

    model = model_2c2d()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(idx):
        x = images.index_select(0, idx).unsqueeze(1).float().div_(255.0)
        y = labels.index_select(0, idx)
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    perm = torch.randperm(n)
    for i in range(a.warmup):
        step(perm[(i % steps_per_epoch) * a.batch_size:][:a.batch_size])

    step_ms, epoch_s, last_loss = [], [], 0.0
    for _ in range(a.epochs):
        e0 = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(steps_per_epoch):
            t0 = time.perf_counter()
            loss = step(perm[i * a.batch_size:(i + 1) * a.batch_size])
            step_ms.append((time.perf_counter() - t0) * 1e3)
        last_loss = float(loss.detach())
        epoch_s.append(time.perf_counter() - e0)

    print(json.dumps({
        "engine": "pytorch",
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "problem": "fmnist_2c2d",
        "batch_size": a.batch_size,
        "steps_per_epoch": steps_per_epoch,
        "warmup_steps": a.warmup,
        "step_ms_median": statistics.median(step_ms),
        "step_ms_min": min(step_ms),
        "step_ms_max": max(step_ms),
        "epoch_s": epoch_s,
        "epoch_s_median": statistics.median(epoch_s),
        "last_loss": last_loss,
    }, indent=2))


if __name__ == "__main__":
    main()
