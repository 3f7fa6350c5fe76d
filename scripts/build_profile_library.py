"""Build the 224x224 profile library (architecture census) and the device-class calibration.

Run with a Python that has torch + torchvision (no weights are downloaded: models are built with
``weights=None``; FLOPs, tensor sizes and host latency do not depend on the weights)::

    PYTHONPATH=. <python with torch + torchvision> scripts/build_profile_library.py [--shared ../shared/data]

``--shared`` defaults to ``$RAPGYM_SHARED_DATA`` (else ``../shared/data``); only its ``profiles/`` (Scission
tables) is read. Writes ``rapgym/profiles/data/<model>.json`` (per-block census, crossing-tensor bytes, latency
measured on this machine) and ``devices.json`` (latency-model coefficients per device/cloud class,
fitted to Scission whole-model latencies; the Scission tables themselves are not copied).
"""

from __future__ import annotations

import argparse
import json
import platform
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torchvision
from torchvision import models as tvm

from rapgym.profiler.cuts import default_cuts
from rapgym.profiler.measure import census, time_segments
from rapgym.profiler.split import run_chain, split_at_cuts
from rapgym.profiles.latency_model import FEATURES, features_matrix, fit_coefficients, predict
from rapgym.profiles.scission import SCISSION_FILES, scission_table, scission_totals
from rapgym.shared_data import shared_data_dir

OUT = Path(__file__).resolve().parents[1] / "rapgym" / "profiles" / "data"

# torchvision builder, input side, ImageNet-1k top-1 (%) of torchvision's IMAGENET1K_V1 weights (torchvision docs).
SHIPPED = {
    "alexnet": ("alexnet", 224, 56.522),
    "vgg16": ("vgg16", 224, 71.592),
    "resnet18": ("resnet18", 224, 69.758),
    "resnet50": ("resnet50", 224, 76.130),
    "mobilenetv2": ("mobilenet_v2", 224, 71.878),
    "googlenet": ("googlenet", 224, 69.778),
}
# Scission (Keras) model name -> (torchvision builder, input side): the calibration set.
CALIBRATION = {
    "vgg16": ("vgg16", 224), "vgg19": ("vgg19", 224), "resnet50": ("resnet50", 224),
    "resnet101": ("resnet101", 224), "resnet152": ("resnet152", 224), "mobilenetv2": ("mobilenet_v2", 224),
    "inception_v3": ("inception_v3", 299), "densenet121": ("densenet121", 224),
    "densenet169": ("densenet169", 224), "densenet201": ("densenet201", 224),
}
# device class -> (Scission layout (a key of SCISSION_FILES), platform, models excluded from the fit, description)
SCISSION_CLASSES = {
    "raspberry-pi-4": ("ucc2020", "raspi4", (), "Raspberry Pi 4 (Scission UCC 2020, TF 2.1 eager, CPU)"),
    "jetson-nano": ("fork", "jetsonnano", ("vgg16", "vgg19"),
                    "NVIDIA Jetson Nano GPU (Scission fork gabrielecastellano/Scission; VGG rows excluded: asynchronous GPU timing)"),
    "desktop-cpu": ("ucc2020", "6700k(NoGPU)", (), "Intel i7-6700K desktop, CPU only (Scission UCC 2020)"),
    "desktop-gpu": ("ucc2020", "6700k(GPU)", (), "i7-6700K desktop with its GPU, model not stated (Scission UCC 2020)"),
    "server-cpu": ("fork", "bonarda(CPU)", (), "'bonarda' server, CPU only (Scission fork)"),
    "datacenter-gpu": ("fork", "bonarda(GPU)", (),
                       "'bonarda' server with its GPU, model not stated (Scission fork, TF eager, batch 1)"),
}
DEVICES = ("raspberry-pi-4", "jetson-nano", "phone")
CLOUDS = ("datacenter-gpu", "desktop-gpu", "server-cpu", "desktop-cpu")
PHONE_MS = 75.0
PHONE_SOURCE = ("from Sandler et al., 'MobileNetV2: Inverted Residuals and Linear Bottlenecks', CVPR 2018, Table 4: "
                "MobileNetV2 (1.0, 224) 75 ms on a Google Pixel 1 phone (one large CPU core, TF-Lite)")


def _build(builder: str) -> torch.nn.Module:
    kwargs = {"aux_logits": False, "init_weights": False} if builder in ("googlenet", "inception_v3") else {}
    return getattr(tvm, builder)(weights=None, **kwargs).eval()


def _census_model(builder: str, side: int, timed: bool) -> dict:
    """Split the torchvision model at its default cuts; census, crossing bytes and host latency per block."""
    model = _build(builder)
    cuts = default_cuts(model)
    segments, names = split_at_cuts(model, cuts)
    x = torch.randn(1, 3, side, side)
    with torch.inference_mode():
        tensors = run_chain(segments, x)
        assert torch.allclose(tensors[-1], model(x), atol=1e-4), f"{builder}: split chain differs from the model"
    blocks = []
    for segment, inp in zip(segments, tensors[:-1], strict=True):
        stats, out = census(segment, inp)
        blocks.append({**{k: float(v) for k, v in vars(stats).items()}, "out_bytes": out.numel() * 4})
    if timed:
        for block, (median, iqr) in zip(blocks, time_segments(segments, x, warmup=3, repeats=15), strict=True):
            block["host_s"], block["host_iqr_s"] = median, iqr
    return {"cut_names": names, "blocks": blocks, "input_shape": [3, side, side]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=shared_data_dir(), help="shared data directory (with profiles/)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: robust to other load on the build host (no parallel-region stalls)
    machine = f"{platform.machine()} {platform.processor() or ''} {torch.get_num_threads()} threads, torch {torch.__version__}, " \
              f"torchvision {torchvision.__version__}, {date.today().isoformat()}"
    for name, (builder, side, top1) in SHIPPED.items():
        data = _census_model(builder, side, timed=True)
        data.update(name=name, torchvision_builder=builder, base_accuracy=top1, host=machine)
        (OUT / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(f"{name}: {len(data['blocks'])} blocks, {sum(b['flops'] for b in data['blocks']) / 1e9:.2f} GFLOP, "
              f"host {sum(b['host_s'] for b in data['blocks']) * 1e3:.0f} ms")
    calib = {name: features_matrix(_census_model(b, s, timed=False)["blocks"]).sum(axis=0).tolist()
             for name, (b, s) in CALIBRATION.items()}
    totals = scission_totals(scission_table(layout, args.shared) for layout in SCISSION_FILES)
    classes = {}
    for cls, (layout, plat, excluded, desc) in SCISSION_CLASSES.items():
        used = [m for m in CALIBRATION if m not in excluded and (m, plat) in totals]
        y = np.array([totals[(m, plat)] for m in used])
        coef = fit_coefficients(np.array([calib[m] for m in used]), y)
        err = predict(np.array([calib[m] for m in used]), coef) / y - 1
        classes[cls] = {"coefficients": coef.tolist(), "description": desc, "scission_file": SCISSION_FILES[layout], "scission_platform": plat,
                        "fit_models": used, "provenance": f"latency model fitted (NNLS, relative error) to Scission whole-model "
                        f"latencies of {', '.join(used)} on {desc}; in-sample relative error {100 * np.min(err):+.0f}% .. "
                        f"{100 * np.max(err):+.0f}%"}
        print(f"{cls}: " + ", ".join(f"{m} {100 * e:+.0f}%" for m, e in zip(used, err, strict=True)))
    rpi = np.array(classes["raspberry-pi-4"]["coefficients"])
    scale = PHONE_MS / 1e3 / float(predict(np.array([calib["mobilenetv2"]]), rpi)[0])
    classes["phone"] = {"coefficients": (rpi * scale).tolist(), "description": "smartphone CPU (Google Pixel 1 class)",
                        "provenance": f"Raspberry Pi 4 latency model scaled by {scale:.3f} so that MobileNetV2 takes "
                        f"{PHONE_MS:.0f} ms, {PHONE_SOURCE}"}
    devices = {
        "features": list(FEATURES),
        "devices": {d: classes[d] for d in DEVICES}, "clouds": {c: classes[c] for c in CLOUDS},
        "calibration_features": calib,
        "calibration_note": f"census of the torchvision architectures (weights=None) built on {machine}; "
                            "inception_v3 at 299x299 as in Keras/Scission",
    }
    (OUT / "devices.json").write_text(json.dumps(devices, indent=1) + "\n")


if __name__ == "__main__":
    main()
