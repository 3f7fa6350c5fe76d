"""Labelled datasets for the profiler: Fashion-MNIST IDX files (Debian ``dataset-fashion-mnist``) and ``.npz``."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from rapgym.errors import ProfileError

__all__ = ["FASHION_MNIST_DIR", "read_idx", "load_fashion_mnist", "load_npz"]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where Debian's ``dataset-fashion-mnist`` package installs the IDX files."""


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) of unsigned bytes into an array of its declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ProfileError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ProfileError(f"{path}: {data.size} values, header declares shape {shape}")
    return data.reshape(shape)


def load_fashion_mnist(split: str = "test", root: str | Path = FASHION_MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 1, 28, 28)`` float32 in [0, 1] and int64 labels of the ``train`` or ``t10k``/``test`` split."""
    prefix = {"train": "train", "test": "t10k", "t10k": "t10k"}[split]
    root = Path(root)
    images = read_idx(root / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(root / f"{prefix}-labels-idx1-ubyte.gz")
    return images[:, None].astype(np.float32) / 255.0, labels.astype(np.int64)


def load_npz(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``x`` (float32, batch first) and ``y`` (int64 labels) from an ``.npz`` file."""
    with np.load(path) as data:
        if "x" not in data or "y" not in data:
            raise ProfileError(f"{path}: an .npz dataset needs arrays 'x' and 'y', found {list(data.keys())}")
        return data["x"].astype(np.float32), data["y"].astype(np.int64)
