"""Train a small model of each family on Fashion-MNIST (CPU) and measure acc_loss[k, b] at every cut.

    .venv/bin/python scripts/measure_fmnist_acc_loss.py [--families resnet vgg] [--epochs 2] [--threads 1]

Needs torch and Debian's ``dataset-fashion-mnist``. Updates (per family, under a file lock, so several
runs may go in parallel) ``rapgym/profiles/data/fmnist_acc_loss.json``, which
:mod:`rapgym.profiles.library` carries over to the 224x224 profiles by relative depth.
Deterministic given ``--seed`` and ``--threads``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from rapgym.profiler.accuracy import measure_acc_loss
from rapgym.profiler.cuts import default_cuts
from rapgym.profiler.data import FASHION_MNIST_DIR, load_fashion_mnist
from rapgym.profiler.quant import HEADER_BYTES
from rapgym.profiler.small_models import SMALL_MODELS, build_small
from rapgym.profiler.split import split_at_cuts

OUT = Path(__file__).resolve().parents[1] / "rapgym" / "profiles" / "data" / "fmnist_acc_loss.json"
BITS = (16, 8, 4, 2)


def _batches(x: torch.Tensor, y: torch.Tensor, size: int, generator: torch.Generator | None = None):
    order = torch.randperm(len(y), generator=generator) if generator is not None else torch.arange(len(y))
    for i in range(0, len(y), size):
        idx = order[i : i + size]
        yield x[idx], y[idx]


def train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> float:
    """Adam (lr 2e-3, cosine decay), batch 128, cross-entropy; returns the training time in seconds."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * ((len(y) + 127) // 128)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        for xb, yb in _batches(x, y, 128, generator):
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=FASHION_MNIST_DIR)
    parser.add_argument("--families", nargs="*", default=list(SMALL_MODELS))
    parser.add_argument("--test-samples", type=int, default=10000, help="first N test images used for acc_loss")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x_train, y_train = (torch.from_numpy(a) for a in load_fashion_mnist("train", args.data))
    x_test, y_test = (torch.from_numpy(a[: args.test_samples]) for a in load_fashion_mnist("test", args.data))
    for family in args.families:
        torch.manual_seed(args.seed)
        model = build_small(family)
        seconds = train(model, x_train, y_train, args.epochs, args.seed)
        segments, cuts = split_at_cuts(model, default_cuts(model))
        loss, base, n = measure_acc_loss(segments, _batches(x_test, y_test, 500), (32, *BITS))
        entry = {
            "model": f"{family}-small", "cut_names": ["input", *cuts, "output"], "bits": list(BITS),
            "base_accuracy": round(base, 2), "acc_loss": np.round(loss[:, 1:], 2).tolist(),
            "params": sum(p.numel() for p in model.parameters()), "epochs": args.epochs, "train_samples": len(y_train),
            "test_samples": n, "train_seconds": round(seconds, 1), "seed": args.seed,
            "host": f"{platform.machine()} CPU, {args.threads} thread(s), torch {torch.__version__}, {date.today().isoformat()}",
        }
        _store(family, entry, args.data)
        print(f"{family}-small: {base:.2f}% fp32 in {seconds:.0f} s; loss at 8/4/2 bits, mean over interior cuts: "
              + " / ".join(f"{loss[1:-1, 1 + BITS.index(b)].mean():.2f}" for b in (8, 4, 2)), flush=True)


def _store(family: str, entry: dict, data: Path) -> None:
    """Replace ``family``'s table in the JSON file (read-modify-write under an exclusive lock)."""
    with open(OUT, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        tables = json.load(fh)
        tables["families"][family] = entry
        tables["provenance"] = (f"measured by scripts/measure_fmnist_acc_loss.py on Fashion-MNIST ({data}; trained on the "
                                "train split, measured on the first test_samples of the test split; per-family epochs, "
                                f"seed and host in each entry); uniform min-max quantization per tensor, {HEADER_BYTES}-byte "
                                "header; negative measured losses (noise) are clipped to 0 in profiles")
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(tables, indent=1) + "\n")

if __name__ == "__main__":
    main()
