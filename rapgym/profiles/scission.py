"""Import Scission per-block benchmark tables (CSV) as rapgym profiles.

Two layouts are understood (see the shared data README):

* UCC 2020: ``model,tier,platform,block,first_layer,last_layer,latency_ms,output_bytes``
* fork:     ``model,platform,block,layers,layer_types,flops,params,output_MiB,latency_ms``

Output sizes are ``.npy`` files (fp32 plus a 128-byte header); the header is removed so that
``tx_bytes`` is the exact fp32 tensor size. Device and cloud platforms must come from the same file,
since the two files split the models into different blocks.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rapgym.errors import ProfileError
from rapgym.profiles.profile import DNNProfile, head_cumsum, tail_cumsum
from rapgym.shared_data import shared_data_dir

__all__ = ["read_scission_csv", "import_scission", "scission_table", "scission_totals", "KERAS_TOP1", "NPY_HEADER_BYTES",
           "SCISSION_FILES"]

NPY_HEADER_BYTES = 128
"""Header bytes of the ``.npy`` files whose sizes Scission recorded."""

SCISSION_FILES: dict[str, str] = {"ucc2020": "scission_ucc2020_keras_blocks.csv", "fork": "scission_fork_keras_blocks.csv"}
"""Layout -> file name of the two Scission tables under the shared data's ``profiles/`` directory."""

_LAYOUTS = {
    "ucc2020": ("model", "tier", "platform", "block", "first_layer", "last_layer", "latency_ms", "output_bytes"),
    "fork": ("model", "platform", "block", "layers", "layer_types", "flops", "params", "output_MiB", "latency_ms"),
}

KERAS_TOP1: dict[str, float] = {
    "vgg16": 71.3, "vgg19": 71.3, "resnet50": 74.9, "resnet101": 76.4, "resnet152": 76.6, "resnet50v2": 76.0,
    "resnet101v2": 77.2, "resnet152v2": 78.0, "inception_v3": 77.9, "inceptionresnet_v2": 80.3, "mobilenet": 70.4,
    "mobilenetv2": 71.3, "densenet121": 75.0, "densenet169": 76.2, "densenet201": 77.3, "nasnetmobile": 74.4,
    "nasnetlarge": 82.5, "xception": 79.0,
}
"""ImageNet top-1 (%) of the Keras Applications weights Scission ran (Keras Applications documentation)."""

_INPUT_SIDE = {"inception_v3": 299, "inceptionresnet_v2": 299, "xception": 299, "nasnetlarge": 331}


def scission_table(layout: str, shared: str | Path | None = None) -> Path:
    """Path of the shared Scission table of ``layout`` (a key of :data:`SCISSION_FILES`):
    ``<shared>/profiles/<file>``, ``shared`` defaulting to :func:`rapgym.shared_data.shared_data_dir` (it may not exist)."""
    if layout not in SCISSION_FILES:
        raise ProfileError(f"Scission layout {layout!r} unknown; allowed: {list(SCISSION_FILES)}")
    root = shared_data_dir() if shared is None else Path(shared)
    return root / "profiles" / SCISSION_FILES[layout]


def read_scission_csv(path: str | Path) -> list[dict[str, float | str]]:
    """Rows of a Scission CSV as dicts with ``model, platform, block, latency_s, output_bytes`` (fp32 bytes).

    Raises :class:`ProfileError` naming the file and line of a malformed row, or the missing columns.
    """
    path = Path(path)
    try:
        fh = open(path, newline="")
    except OSError as exc:
        raise ProfileError(f"cannot read Scission file {str(path)!r}: {exc.strerror}") from None
    with fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        layout = next((name for name, cols in _LAYOUTS.items() if set(cols) <= set(header)), None)
        if layout is None:
            raise ProfileError(f"{path}:1: header {list(header)} matches no Scission layout; expected columns "
                               f"{list(_LAYOUTS['ucc2020'])} or {list(_LAYOUTS['fork'])}")
        rows = []
        for row in reader:
            line = reader.line_num
            if None in row or any(row[c] is None for c in _LAYOUTS[layout]):
                raise ProfileError(f"{path}:{line}: expected {len(header)} fields, got a different count")
            try:
                size = float(row["output_bytes"]) if layout == "ucc2020" else float(row["output_MiB"]) * 2**20
                latency_s = float(row["latency_ms"]) / 1000.0
                block = int(row["block"])
            except ValueError as exc:
                raise ProfileError(f"{path}:{line}: malformed row ({exc})") from None
            if not (np.isfinite(size) and np.isfinite(latency_s)) or size < NPY_HEADER_BYTES or latency_s < 0 or block < 0:
                raise ProfileError(f"{path}:{line}: block, latency and output size must be non-negative (output >= the "
                                   f"{NPY_HEADER_BYTES}-byte npy header)")
            rows.append({"model": row["model"], "platform": row["platform"], "block": block, "latency_s": latency_s,
                         "output_bytes": size - NPY_HEADER_BYTES})
    return rows


def scission_totals(paths: Iterable[str | Path]) -> dict[tuple[str, str], float]:
    """Whole-model latency in seconds per ``(model, platform)``: the sum of the per-block rows of the tables at ``paths``."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for path in paths:
        for row in read_scission_csv(path):
            totals[(row["model"], row["platform"])] += row["latency_s"]
    return dict(totals)


def _blocks(rows: list[dict], path: Path, model: str, platform: str) -> list[dict]:
    chosen = sorted((r for r in rows if r["model"] == model and r["platform"] == platform), key=lambda r: r["block"])
    if not chosen:
        models = sorted({r["model"] for r in rows})
        platforms = sorted({r["platform"] for r in rows if r["model"] == model})
        raise ProfileError(f"{path}: no rows for model {model!r} on platform {platform!r}; models: {models}; "
                           f"platforms for this model: {platforms}")
    if [r["block"] for r in chosen] != list(range(len(chosen))):
        raise ProfileError(f"{path}: blocks of {model!r} on {platform!r} are not numbered 0..{len(chosen) - 1}")
    return chosen


def import_scission(path: str | Path, model: str, device_platform: str, cloud_platform: str,
                    base_accuracy: float | None = None) -> DNNProfile:
    """A 32-bit-only profile of ``model`` with ``device_platform`` as the device and ``cloud_platform`` as the cloud.

    Cut ``k`` follows Scission block ``k``; ``tx_bytes[0]`` is the raw uint8 input (3 x side x side).
    Scission has no quantization data, so ``bits == (32,)``. ``base_accuracy`` defaults to
    :data:`KERAS_TOP1`.
    """
    path = Path(path)
    rows = read_scission_csv(path)
    device = _blocks(rows, path, model, device_platform)
    cloud = _blocks(rows, path, model, cloud_platform)
    if [r["output_bytes"] for r in device] != [r["output_bytes"] for r in cloud]:
        raise ProfileError(f"{path}: {model!r} has different blocks on {device_platform!r} and {cloud_platform!r}")
    if base_accuracy is None:
        if model not in KERAS_TOP1:
            raise ProfileError(f"no known top-1 accuracy for {model!r}; pass base_accuracy")
        base_accuracy = KERAS_TOP1[model]
    side = _INPUT_SIDE.get(model, 224)
    dev = np.array([r["latency_s"] for r in device])
    cl = np.array([r["latency_s"] for r in cloud])
    source = f"Scission benchmark table {path.name}"
    return DNNProfile(
        name=model, cut_names=("input", *(f"block{r['block']}" for r in device)),
        device_s=head_cumsum(dev), cloud_s=tail_cumsum(cl),
        tx_bytes=np.array([3.0 * side * side] + [r["output_bytes"] for r in device]),
        acc_loss=np.zeros((len(device) + 1, 1)), base_accuracy=float(base_accuracy), bits=(32,),
        provenance={
            "name": f"Keras {model} as benchmarked by Scission ({source})",
            "cut_names": "k=0 raw input; cut k follows Scission block k-1 (block indices of the table)",
            "bits": "32 only: Scission has no quantization data",
            "device_s": f"{source}, platform {device_platform!r}: cumulative per-block latency (TF eager, batch 1)",
            "cloud_s": f"{source}, platform {cloud_platform!r}: per-block latency of the tail blocks",
            "tx_bytes": f"k=0: raw uint8 input 3x{side}x{side}; else {source} .npy output size minus its {NPY_HEADER_BYTES}-byte header",
            "acc_loss": "none measured by Scission: 32-bit only",
            "base_accuracy": f"Keras Applications documented ImageNet top-1 for {model}" if model in KERAS_TOP1 else "given by the caller",
        },
    )
