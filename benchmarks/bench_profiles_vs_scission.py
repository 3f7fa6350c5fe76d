"""Library total latency per device/cloud class next to Scission's measured total (Markdown tables).

    .venv/bin/python benchmarks/bench_profiles_vs_scission.py [--shared ../shared/data] [--write docs/profiles.md]

``--shared`` defaults to ``$RAPGYM_SHARED_DATA`` (else ``../shared/data``). Prints the tables; ``--write FILE``
replaces the script's marked section of ``FILE``.

For each class calibrated to a Scission platform and each model both have, prints the library's
whole-model latency, Scission's (the sum of its per-block rows), the relative error, and the
leave-one-model-out error (coefficients refitted without that model, from the census stored in
``devices.json``), which shows how the latency model does on a model it was not fitted to.
The target is within +-25 % on the Raspberry Pi 4 and the desktop GPU (6700K GPU).

A second table compares VGG16 cut by cut (its torchvision and Keras blocks correspond one to one):
crossing-tensor bytes, the device head latency on the Raspberry Pi 4 and the cloud tail latency on
the 6700K GPU.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path

import numpy as np
from marked_section import add_write_argument, publish

from rapgym.profiles.latency_model import fit_coefficients, predict
from rapgym.profiles.library import available_models, load_profile
from rapgym.profiles.scission import SCISSION_FILES, import_scission, scission_table, scission_totals
from rapgym.shared_data import shared_data_dir

LIBRARY_TO_SCISSION = {"vgg16": "vgg16", "resnet50": "resnet50", "mobilenetv2": "mobilenetv2"}
"""Library models that Scission also measured (Scission has no AlexNet, ResNet18 or GoogLeNet)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=shared_data_dir(), help="shared data directory (with profiles/)")
    add_write_argument(parser, "bench_profiles_vs_scission")
    args = parser.parse_args()
    text = "\n".join(totals_table(args.shared) + [""] + vgg16_per_cut(args.shared)) + "\n"
    publish(text, "bench_profiles_vs_scission", args.write)


def totals_table(shared: Path) -> list[str]:
    """Lines of the whole-model table: library vs Scission total per calibrated class and shared model."""
    totals = scission_totals(scission_table(layout, shared) for layout in SCISSION_FILES)
    devices = json.loads(resources.files("rapgym.profiles").joinpath("data", "devices.json").read_text())
    calib = devices["calibration_features"]
    lines = ["| class | Scission platform | model | library (ms) | Scission (ms) | error | leave-one-out error |",
             "|---|---|---|---|---|---|---|"]
    for kind in ("devices", "clouds"):
        for cls, entry in devices[kind].items():
            platform = entry.get("scission_platform")
            if platform is None:
                continue
            for model in available_models():
                key = (LIBRARY_TO_SCISSION.get(model), platform)
                if key not in totals:
                    continue
                profile = load_profile(model, device=cls) if kind == "devices" else load_profile(model, cloud=cls)
                ours = profile.device_s[-1] if kind == "devices" else profile.cloud_s[0]
                theirs = totals[key]
                others = [m for m in entry["fit_models"] if m != key[0]]
                coef = fit_coefficients(np.array([calib[m] for m in others]), np.array([totals[(m, platform)] for m in others]))
                loo = float(predict(np.array([calib[key[0]]]), coef)[0])
                excluded = "" if key[0] in entry["fit_models"] else " (not in fit)"
                lines.append(f"| {cls} | {platform} | {model} | {1e3 * ours:.1f} | {1e3 * theirs:.1f}{excluded} | "
                             f"{100 * (ours / theirs - 1):+.1f} % | {100 * (loo / theirs - 1):+.1f} % |")
    return lines


def vgg16_per_cut(shared: Path) -> list[str]:
    """Lines of the cut-by-cut VGG16 comparison (Scission UCC 2020: raspi4 head, 6700k(GPU) tail)."""
    table = scission_table("ucc2020", shared)
    head, real_head = load_profile("vgg16", device="raspberry-pi-4"), import_scission(table, "vgg16", "raspi4", "raspi4")
    tail, real_tail = load_profile("vgg16", cloud="desktop-gpu"), import_scission(table, "vgg16", "6700k(GPU)", "6700k(GPU)")
    lines = ["| k | cut (torchvision) | bytes (library) | bytes (Scission) | RPi4 head ms: library / Scission | 6700K GPU tail ms: library / Scission |",
             "|---|---|---|---|---|---|"]
    for k, name in enumerate(head.cut_names):
        lines.append(f"| {k} | {name} | {head.tx_bytes[k]:.0f} | {real_head.tx_bytes[k]:.0f} | "
                     f"{1e3 * head.device_s[k]:.0f} / {1e3 * real_head.device_s[k]:.0f} | "
                     f"{1e3 * tail.cloud_s[k]:.2f} / {1e3 * real_tail.cloud_s[k]:.2f} |")
    return lines


if __name__ == "__main__":
    main()
