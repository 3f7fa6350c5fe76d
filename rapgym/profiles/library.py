"""Library of ready-made DNN profiles: real torchvision architectures on calibrated device classes.

Each model's per-block operator census (FLOPs by operator class, memory traffic, operator count) and
exact crossing-tensor sizes were extracted from the torchvision definition at 224x224 by
``scripts/build_profile_library.py``. Latency per device or cloud class comes from the linear model of
:mod:`rapgym.profiles.latency_model`, whose coefficients were fitted to public Scission measurements (or,
for ``phone``, scaled to a published phone latency). Accuracy loss per cut and bit width is carried
over by relative depth from the Fashion-MNIST measurement of a small model of the same family
(``scripts/measure_fmnist_acc_loss.py``); it is *not* an ImageNet measurement.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rapgym.errors import ProfileError
from rapgym.profiles.latency_model import features_matrix, predict
from rapgym.profiles.profile import DEFAULT_BITS, DNNProfile, head_cumsum, tail_cumsum

__all__ = ["available_models", "available_devices", "available_clouds", "is_profile_file", "load_profile", "acc_loss_by_depth", "FAMILY"]

MODELS: tuple[str, ...] = ("alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2", "googlenet")
FAMILY: dict[str, str] = {
    "alexnet": "alexnet", "vgg16": "vgg", "resnet18": "resnet", "resnet50": "resnet",
    "mobilenetv2": "mobilenetv2", "googlenet": "googlenet",
}
"""Library model -> Fashion-MNIST small-model family whose accuracy-loss table it uses."""

BUILD_HOST = "build-host-cpu"
"""Device class whose latencies were measured directly (torch, CPU) on the machine that built the library."""


@cache
def _read(name: str) -> dict[str, Any]:
    return json.loads(resources.files("rapgym.profiles").joinpath("data", name).read_text())


def available_models() -> list[str]:
    """Names accepted by :func:`load_profile`."""
    return list(MODELS)


def available_devices() -> list[str]:
    """End-device classes: calibrated classes plus the measured build host."""
    return [*_read("devices.json")["devices"], BUILD_HOST]


def available_clouds() -> list[str]:
    """Cloud classes (the whole reference cloud; the env divides by the user's compute share)."""
    return list(_read("devices.json")["clouds"])


def is_profile_file(model: str | Path) -> bool:
    """Whether ``model`` names a profile JSON file rather than a library model: a ``Path``, or a string
    ending in ``.json`` or containing ``/``."""
    return isinstance(model, Path) or str(model).endswith(".json") or "/" in str(model)


def _choose(kind: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        raise ProfileError(f"unknown {kind} {value!r}; available: {allowed}")


def acc_loss_by_depth(family: str, num_cuts: int, bits: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """Accuracy-loss table ``(num_cuts, len(bits))`` for a model of ``family`` with ``num_cuts`` cuts.

    Interior cut ``k`` sits at relative depth ``k / K``; its loss at ``b`` bits is linearly
    interpolated over the interior cuts of the measured small model (clamped at its first/last
    interior cut) and clipped at 0. Rows ``0`` and ``K`` and the 32-bit column are 0. Returns the table
    (percentage points) and a provenance sentence.
    """
    tables = _read("fmnist_acc_loss.json")
    entry = tables["families"][family]
    measured = np.asarray(entry["acc_loss"], dtype=np.float64)
    k_small = measured.shape[0] - 1
    depth = np.arange(1, k_small) / k_small
    out = np.zeros((num_cuts, len(bits)))
    target = np.arange(1, num_cuts - 1) / (num_cuts - 1)
    for j, b in enumerate(bits):
        if b == 32:
            continue
        if b not in entry["bits"]:
            raise ProfileError(f"bit width {b} was not measured; available: {entry['bits']}")
        column = measured[1:-1, entry["bits"].index(b)]
        out[1:-1, j] = np.clip(np.interp(target, depth, column), 0.0, None)
    text = (f"derived from Fashion-MNIST measurement of {entry['model']} by relative depth (cut k at k/K, linear "
            f"interpolation over its interior cuts); not an ImageNet measurement. {tables['provenance']}")
    return out, text


def _block_latency(data: dict[str, Any], kind: str, cls: str) -> tuple[np.ndarray, str]:
    """Per-block latency (s) of library model ``data`` on class ``cls`` of ``kind`` ('devices' or 'clouds'), and its provenance."""
    blocks = data["blocks"]
    if cls == BUILD_HOST:
        return (np.array([b["host_s"] for b in blocks]),
                f"measured by the rapgym profiler on the build host ({data['host']}): median of 15 repeats per block")
    entry = _read("devices.json")[kind][cls]
    return predict(features_matrix(blocks), np.array(entry["coefficients"])), entry["provenance"]


def load_profile(model: str | Path, device: str = "raspberry-pi-4", cloud: str = "datacenter-gpu",
                 bits: tuple[int, ...] = DEFAULT_BITS) -> DNNProfile:
    """The profile of ``model`` on end-device class ``device`` with cloud class ``cloud``.

    ``model`` is a library name (:func:`available_models`) or a path to a profile JSON
    (:func:`is_profile_file`; then ``device`` and ``cloud`` are ignored and ``bits`` must be a subset of
    the file's). Raises :class:`ProfileError` listing the allowed values for an unknown name.
    """
    bits = tuple(int(b) for b in bits)
    if is_profile_file(model):
        return DNNProfile.load_json(model).with_bits(bits)
    _choose("model", str(model), available_models())
    _choose("device class", device, available_devices())
    _choose("cloud class", cloud, available_clouds())
    data = _read(f"{model}.json")
    blocks = data["blocks"]
    n = len(blocks) + 1
    dev_block, dev_text = _block_latency(data, "devices", device)
    cloud_block, cloud_text = _block_latency(data, "clouds", cloud)
    device_s = head_cumsum(dev_block)
    cloud_s = tail_cumsum(cloud_block)
    c, h, w = data["input_shape"]
    tx = np.array([c * h * w] + [b["out_bytes"] for b in blocks], dtype=np.float64)
    acc_loss, acc_text = acc_loss_by_depth(FAMILY[str(model)], n, bits)
    arch = f"torchvision {data['torchvision_builder']} (weights=None) at {h}x{w}, split at legal cuts by the rapgym profiler"
    return DNNProfile(
        name=str(model), cut_names=("input", *data["cut_names"], "output"), device_s=device_s, cloud_s=cloud_s,
        tx_bytes=tx, acc_loss=acc_loss, base_accuracy=float(data["base_accuracy"]), bits=bits,
        flops=head_cumsum([b["flops"] for b in blocks]),
        provenance={
            "name": arch,
            "cut_names": "k=0 raw input, k=K device-only; interior cuts named by the torchvision submodule they follow",
            "device_s": f"{device}: cumulative per-block latency; {dev_text}",
            "cloud_s": f"{cloud}: per-block latency of the tail blocks; {cloud_text}",
            "tx_bytes": f"k=0: raw uint8 input {c}x{h}x{w}; else exact fp32 size of the crossing tensor of {arch}; k=K: the logits",
            "acc_loss": acc_text,
            "base_accuracy": f"ImageNet-1k top-1 of torchvision's IMAGENET1K_V1 weights for {data['torchvision_builder']} (torchvision docs)",
            "bits": "32 = fp32; others: uniform min-max quantization per tensor, 8-byte header (fp32 min and scale)",
            "flops": "cumulative FLOPs (2 per multiply-add) of blocks 1..k, torch.utils.flop_counter.FlopCounterMode",
        },
    )
