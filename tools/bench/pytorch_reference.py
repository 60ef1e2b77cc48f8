#!/usr/bin/env python3
"""PyTorch reference for the GPU benchmark: the same three problems, models and training loop as
tools/bench/gpu/bench_gpu_steps.cpp, timed the same way, in two variants.

  dataloader    idiomatic PyTorch: a TensorDataset of f32 images on the host, a shuffling
                DataLoader (pinned memory, worker processes), batches copied to the GPU each step.
  gpu_resident  the data set already on the GPU as bytes (like deepobs-cpp): per epoch a random
                permutation on the GPU, per step an index_select + conversion to f32 / 255.

One step = next batch + zero_grad + forward + backward + SGD momentum 0.9 (lr 0.01) at the
problem's default batch size (128). Step time: CUDA events around each of --steps steps after
--warmup steps, each waited for; epoch time: one full epoch between two events. Strict FP32
(TF32 off), cuDNN benchmark mode off, as in deepobs-cpp's default policies.

  pytorch_reference.py --make-fake-data DIR   write random MNIST-format IDX files (mnist, fmnist)
  pytorch_reference.py --data_dir DIR --json out.json [--variants dataloader,gpu_resident]
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys

import numpy as np

PROBLEMS = ["fmnist_mlp", "fmnist_2c2d", "quadratic_deep"]
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]))
        for extent in array.shape:
            f.write(struct.pack(">I", extent))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def make_fake_data(root):
    """Random bytes in the standard MNIST sizes: timing does not depend on the pixels."""
    rng = np.random.RandomState(4242)
    for name in ("mnist", "fmnist"):
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        for images, labels, n in IDX_FILES.values():
            write_idx(os.path.join(folder, images), rng.randint(0, 256, (n, 28, 28)))
            write_idx(os.path.join(folder, labels), rng.randint(0, 10, (n,)))


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def quadratic_deep_hessian():
    """Q = R^T diag(lambda) R from RandomState(42), the order of SPEC section 3.11."""
    rs = np.random.RandomState(42)
    lam = np.concatenate([rs.uniform(0.0, 1.0, 90), rs.uniform(30.0, 60.0, 10)])
    t = 2 * math.pi * rs.uniform()
    r = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    for d in range(2, 100):
        v = rs.normal(size=d + 1)
        v /= np.linalg.norm(v)
        e = np.zeros(d + 1)
        e[0] = 1.0
        x = (e - v) / np.linalg.norm(e - v)
        dm = np.eye(d + 1)
        dm[1:, 1:] = r
        r = dm - 2 * np.outer(x, x @ dm)
    r = -r
    return r.T @ np.diag(lam) @ r


def build(torch, name, device):
    """Model and per-example loss function, initialised as deepobs-cpp does (SPEC section 3)."""
    nn = torch.nn

    def trunc_normal(w, std):
        nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std)

    if name == "fmnist_mlp":
        layers = []
        sizes = [784, 1000, 500, 100, 10]
        for i in range(4):
            lin = nn.Linear(sizes[i], sizes[i + 1])
            trunc_normal(lin.weight, 0.03)
            nn.init.zeros_(lin.bias)
            layers += [lin] + ([nn.ReLU()] if i < 3 else [])
        model = nn.Sequential(nn.Flatten(), *layers)
    elif name == "fmnist_2c2d":
        # 'same' 5x5 convolutions at stride 1 pad 2 on each side; 2x2/2 max pools need no padding
        # on 28 and 14 (TF's 'same' adds none there).
        conv1, conv2 = nn.Conv2d(1, 32, 5, padding=2), nn.Conv2d(32, 64, 5, padding=2)
        fc1, fc2 = nn.Linear(3136, 1024), nn.Linear(1024, 10)
        for m in (conv1, conv2, fc1, fc2):
            trunc_normal(m.weight, 0.05)
            nn.init.constant_(m.bias, 0.05)
        # PyTorch flattens NCHW in C,H,W order like deepobs-cpp; the cost is the same either way.
        model = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool2d(2, 2), conv2, nn.ReLU(),
                              nn.MaxPool2d(2, 2), nn.Flatten(), fc1, nn.ReLU(), fc2)
    elif name == "quadratic_deep":
        q = torch.tensor(quadratic_deep_hessian(), dtype=torch.float32, device=device)

        class Quadratic(nn.Module):
            def __init__(self):
                super().__init__()
                self.theta = nn.Parameter(torch.ones(1, 100))

            def forward(self, x):
                d = self.theta - x
                return 0.5 * ((d @ q) * d).sum(dim=1)

        return Quadratic().to(device), None
    else:
        raise SystemExit(f"pytorch_reference.py: unknown problem {name}")
    return model.to(device), nn.CrossEntropyLoss(reduction="none")


def load_data(name, data_dir):
    """Training inputs (u8 images [N,1,28,28] or f32 [N,100]) and labels (or None)."""
    if name == "quadratic_deep":
        rs = np.random.RandomState(42)
        return rs.normal(0.0, 0.6, (1000, 100)).astype(np.float32), None
    folder = os.path.join(data_dir, "fmnist")
    images, labels, _ = IDX_FILES["train"]
    x = read_idx(os.path.join(folder, images)).reshape(-1, 1, 28, 28)
    y = read_idx(os.path.join(folder, labels)).astype(np.int64)
    return x, y


class DataLoaderBatches:
    """The idiomatic variant: host f32 tensors through a shuffling DataLoader."""

    def __init__(self, torch, x, y, batch_size, device, workers):
        xs = torch.from_numpy(x.astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0))
        tensors = (xs,) if y is None else (xs, torch.from_numpy(y))
        self.torch, self.device = torch, device
        self.loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(*tensors), batch_size=batch_size, shuffle=True,
            drop_last=True, pin_memory=True, num_workers=workers,
            persistent_workers=workers > 0)
        self.it = None

    def steps_per_epoch(self):
        return len(self.loader)

    def start(self):
        self.it = iter(self.loader)

    def next(self):
        try:
            batch = next(self.it)
        except StopIteration:
            return None
        return [t.to(self.device, non_blocking=True) for t in batch]


class ResidentBatches:
    """The GPU-resident variant: bytes on the GPU, permuted and converted per batch there."""

    def __init__(self, torch, x, y, batch_size, device):
        self.torch, self.bs = torch, batch_size
        self.x = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        self.y = None if y is None else torch.from_numpy(y).to(device)
        self.n = self.x.shape[0]
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(42)
        self.order, self.pos = None, 0

    def steps_per_epoch(self):
        return self.n // self.bs

    def start(self):
        self.order = self.torch.randperm(self.n, device=self.x.device, generator=self.gen)
        self.pos = 0

    def next(self):
        if self.pos + self.bs > self.n:
            return None
        idx = self.order[self.pos:self.pos + self.bs]
        self.pos += self.bs
        x = self.x.index_select(0, idx)
        x = x.float().div_(255.0) if x.dtype == self.torch.uint8 else x
        return [x] if self.y is None else [x, self.y.index_select(0, idx)]


def bench(torch, name, variant, args, device):
    torch.manual_seed(42)
    model, criterion = build(torch, name, device)
    x, y = load_data(name, args.data_dir)
    bs = 128
    if variant == "dataloader":
        data = DataLoaderBatches(torch, x, y, bs, device, args.workers)
    else:
        data = ResidentBatches(torch, x, y, bs, device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run(batch):
        opt.zero_grad(set_to_none=False)
        out = model(batch[0])
        losses = out if criterion is None else criterion(out, batch[1])
        losses.mean().backward()
        opt.step()

    state = {"started": False}

    def step():
        batch = data.next() if state["started"] else None
        if batch is None:
            data.start()
            state["started"] = True
            batch = data.next()
        run(batch)

    for _ in range(args.warmup):
        step()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ms = []
    for _ in range(args.steps):
        start.record()
        step()
        stop.record()
        stop.synchronize()
        ms.append(start.elapsed_time(stop))
    data.start()
    start.record()
    n = 0
    while True:
        batch = data.next()
        if batch is None:
            break
        run(batch)
        n += 1
    stop.record()
    stop.synchronize()
    ms.sort()

    def pct(q):
        return ms[min(len(ms) - 1, int(q * (len(ms) - 1) + 0.5))]

    return {"problem": name, "batch_size": bs, "steps_per_epoch": n,
            "step_ms_median": statistics.median(ms), "step_ms_p10": pct(0.1),
            "step_ms_p90": pct(0.9), "epoch_s": start.elapsed_time(stop) / 1e3,
            "peak_device_bytes": torch.cuda.max_memory_allocated(device)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--make-fake-data", metavar="DIR")
    p.add_argument("--data_dir")
    p.add_argument("--json")
    p.add_argument("--problems", default=",".join(PROBLEMS))
    p.add_argument("--variants", default="gpu_resident,dataloader")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--workers", type=int, default=4)
    args = p.parse_args()
    if args.make_fake_data:
        make_fake_data(args.make_fake_data)
        return 0
    if not args.data_dir:
        p.error("--data_dir is required (or --make-fake-data DIR)")
    import torch
    if not torch.cuda.is_available():
        print("pytorch_reference.py: no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    device = torch.device("cuda:0")
    out = {"engine": f"pytorch {torch.__version__}", "gpu": torch.cuda.get_device_name(device),
           "cudnn": torch.backends.cudnn.version(), "policies": {"tf32": False},
           "warmup_steps": args.warmup, "timed_steps": args.steps, "variants": {}}
    failed = False
    for variant in args.variants.split(","):
        if variant not in ("gpu_resident", "dataloader"):
            p.error(f"unknown variant {variant} (gpu_resident, dataloader)")
        results = []
        for name in args.problems.split(","):
            print(f"pytorch_reference.py: {variant} {name}", file=sys.stderr)
            torch.cuda.reset_peak_memory_stats(device)
            try:
                results.append(bench(torch, name, variant, args, device))
            except Exception as e:  # one failing variant (e.g. DataLoader workers) keeps the rest
                print(f"pytorch_reference.py: {variant} {name} failed: {e!r}", file=sys.stderr)
                results.append({"problem": name, "error": repr(e)})
                failed = True
        out["variants"][variant] = results
    text = json.dumps(out, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
