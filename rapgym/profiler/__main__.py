"""CLI: ``python -m rapgym.profiler MODEL --data DATA --out profile.json [--cuts NAME ...]``.

MODEL is ``small:FAMILY`` (the 28x28 models of :mod:`rapgym.profiler.small_models`),
``torchvision:NAME`` (needs torchvision; built with ``weights=None``) or ``package.module:factory``
(a callable returning an ``nn.Module``); ``--weights`` loads a state-dict file. DATA is
``fashion-mnist`` (or ``fashion-mnist:DIR``), a ``.npz`` file with arrays ``x`` and ``y``, or
``synthetic:N`` (N Gaussian samples labelled by the fp32 model itself, so the accuracy loss is the
top-1 disagreement with the unquantized model).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rapgym.errors import MissingDependencyError, ProfileError
from rapgym.profiler.core import check_input, profile_module
from rapgym.profiler.data import FASHION_MNIST_DIR, load_fashion_mnist, load_npz
from rapgym.profiler.small_models import build_small
from rapgym.profiles.profile import DEFAULT_BITS


def build_model(spec: str, weights: Path | None) -> torch.nn.Module:
    """Instantiate MODEL (see the module docstring) and optionally load its state dict."""
    kind, _, name = spec.partition(":")
    if not name:
        raise ProfileError(f"MODEL {spec!r} must be small:FAMILY, torchvision:NAME or package.module:factory")
    if kind == "small":
        model = build_small(name)
    elif kind == "torchvision":
        try:
            from torchvision import models
        except ImportError:
            raise MissingDependencyError("torchvision is not installed; install the 'profile-vision' extra") from None
        model = getattr(models, name)(weights=None)
    else:
        model = getattr(importlib.import_module(kind), name)()
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def load_data(spec: str, model: torch.nn.Module, input_shape: tuple[int, ...] | None, limit: int | None,
              seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """``(x, y, description)`` for DATA (see the module docstring), at most ``limit`` samples."""
    if spec.startswith("fashion-mnist"):
        root = spec.partition(":")[2] or FASHION_MNIST_DIR
        x, y = load_fashion_mnist("test", root)
        description = f"Fashion-MNIST test set ({root})"
    elif spec.startswith("synthetic"):
        if input_shape is None:
            raise ProfileError("synthetic data needs --input-shape")
        n = int(spec.partition(":")[2] or 256)
        x = torch.randn(n, *input_shape, generator=torch.Generator().manual_seed(seed)).numpy()
        with torch.inference_mode():
            y = model(torch.from_numpy(x)).argmax(dim=1).numpy()
        description = f"synthetic Gaussian inputs labelled by the fp32 model (seed {seed})"
    else:
        x, y = load_npz(spec)
        description = f"{spec}"
    return x[:limit], y[:limit], description


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rapgym.profiler", description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cuts", nargs="+", help="submodule names to cut after (default: detected)")
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--input-shape", type=int, nargs="+", help="one sample's shape, e.g. 3 224 224 (default: the data's)")
    parser.add_argument("--samples", type=int, help="use at most this many labelled samples")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--bits", type=int, nargs="+", default=list(DEFAULT_BITS))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        model = build_model(args.model, args.weights)
        shape = tuple(args.input_shape) if args.input_shape else None
        if shape is not None:
            check_input(model, shape)
        x, y, description = load_data(args.data, model, shape, args.samples, args.seed)
        if shape is None:
            shape = tuple(x.shape[1:])
            check_input(model, shape)
        batches = ((torch.from_numpy(x[i : i + args.batch_size]), torch.from_numpy(y[i : i + args.batch_size]))
                   for i in range(0, len(y), args.batch_size))
        with tqdm(total=len(y), unit="sample", desc="accuracy loss") as bar:
            result = profile_module(model, shape, batches, cuts=args.cuts, bits=tuple(args.bits), name=args.model,
                                    dataset=description, repeats=args.repeats, progress=bar)
    except ValueError as exc:  # every RapgymError, and a malformed number in DATA
        parser.exit(2, f"error: {exc}\n")
    result.profile.save_json(args.out)
    p = result.profile
    print(f"{p.name}: K={p.K} cuts, {p.flops[-1] / 1e6:.1f} MFLOP, host latency {1e3 * p.device_s[-1]:.2f} ms, "
          f"fp32 accuracy {p.base_accuracy:.2f}% on {result.samples} samples -> {args.out}")


if __name__ == "__main__":
    main()
