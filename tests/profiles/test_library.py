"""The shipped 224x224 profile library: validity, exact tensor sizes, calibration, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rapgym.errors import ProfileError
from rapgym.profiles.library import available_clouds, available_devices, available_models, load_profile
from rapgym.profiles.profile import DNNProfile

ALL = [(m, d, c) for m in available_models() for d in available_devices() for c in available_clouds()]


def test_catalogue() -> None:
    assert {"alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2", "googlenet"} <= set(available_models())
    assert {"raspberry-pi-4", "jetson-nano", "phone"} <= set(available_devices())
    assert "datacenter-gpu" in available_clouds()


@pytest.mark.parametrize(("model", "device", "cloud"), ALL)
def test_every_profile_is_valid(model: str, device: str, cloud: str) -> None:
    p = load_profile(model, device, cloud)
    assert p.tx_bytes[0] == 3 * 224 * 224 and p.tx_bytes[-1] == 1000 * 4
    assert np.all(np.diff(p.flops) >= 0) and p.flops[0] == 0
    assert np.all(np.diff(p.device_s) > 0) and np.all(np.diff(p.cloud_s) < 0)
    assert set(p.provenance) >= {"device_s", "cloud_s", "tx_bytes", "acc_loss", "base_accuracy", "flops", "cut_names"}
    assert all(text for text in p.provenance.values())
    assert p.cut_names[0] == "input" and p.cut_names[-1] == "output"


@pytest.mark.parametrize(
    ("model", "cut", "shape"),
    [("resnet18", "layer1.1", (64, 56, 56)), ("resnet18", "maxpool", (64, 56, 56)), ("resnet50", "layer4.2", (2048, 7, 7)),
     ("vgg16", "features.1", (64, 224, 224)), ("alexnet", "features.2", (64, 27, 27)), ("mobilenetv2", "features.18", (1280, 7, 7)),
     ("googlenet", "inception3a", (256, 28, 28)), ("resnet18", "avgpool", (512, 1, 1))],
)
def test_known_tensor_sizes(model: str, cut: str, shape: tuple[int, ...]) -> None:
    p = load_profile(model)
    assert p.tx_bytes[p.cut_names.index(cut)] == 4 * np.prod(shape)


@pytest.mark.parametrize(("model", "gflops"), [("alexnet", 1.43), ("vgg16", 30.9), ("resnet18", 3.63), ("resnet50", 8.18),
                                               ("mobilenetv2", 0.60), ("googlenet", 3.0)])
def test_total_flops_match_published_macs(model: str, gflops: float) -> None:
    """torchvision's documented GFLOPS are multiply-adds; the profile counts 2 FLOPs per multiply-add."""
    assert load_profile(model).flops[-1] / 1e9 == pytest.approx(gflops, rel=0.03)


def test_residual_nets_cut_only_between_blocks() -> None:
    p = load_profile("resnet50")
    interior = p.cut_names[1:-1]
    assert all(name.count(".") <= 1 for name in interior)
    assert "layer1.0" in interior and not any(name.startswith("layer1.0.") for name in interior)


def test_phone_calibrated_to_published_mobilenetv2_latency() -> None:
    p = load_profile("mobilenetv2", device="phone")
    assert p.device_s[-1] == pytest.approx(0.075, rel=1e-6)
    assert "Sandler" in p.provenance["device_s"] and "from " in p.provenance["device_s"]


def test_accuracy_loss_shape_and_zeros() -> None:
    p = load_profile("resnet18", bits=(32, 8, 2))
    assert p.bits == (32, 8, 2) and p.acc_loss.shape == (p.num_cuts, 3)
    assert np.all(p.acc_loss[:, 0] == 0) and np.all(p.acc_loss[[0, -1]] == 0)
    assert "Fashion-MNIST" in p.provenance["acc_loss"] and "not an ImageNet measurement" in p.provenance["acc_loss"]


def test_bits_outside_measurement_rejected() -> None:
    with pytest.raises(ProfileError, match="available"):
        load_profile("resnet18", bits=(32, 6))


@pytest.mark.parametrize(("kwargs", "word"), [({"model": "lenet"}, "model"), ({"model": "vgg16", "device": "toaster"}, "device"),
                                              ({"model": "vgg16", "cloud": "mainframe"}, "cloud")])
def test_unknown_names_list_allowed_values(kwargs: dict, word: str) -> None:
    with pytest.raises(ProfileError, match=f"unknown {word}.*available: \\["):
        load_profile(**kwargs)


def test_load_from_path(tmp_path) -> None:
    p = load_profile("alexnet")
    path = tmp_path / "alexnet.json"
    p.save_json(path)
    q = load_profile(str(path), device="ignored", cloud="ignored", bits=(32, 8))
    assert q.bits == (32, 8) and np.allclose(q.device_s, p.device_s)
    assert DNNProfile.from_dict(json.loads(path.read_text())).name == "alexnet"


def test_build_host_is_measured() -> None:
    p = load_profile("resnet18", device="build-host-cpu")
    assert "measured by the rapgym profiler" in p.provenance["device_s"]


def test_library_does_not_import_torch() -> None:
    code = "import sys, rapgym.profiles.library as L; L.load_profile('vgg16'); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
