"""Scission CSV import (both layouts), malformed rows, and agreement of the library with real Scission totals."""

from __future__ import annotations

import numpy as np
import pytest

from rapgym.errors import ProfileError
from rapgym.profiles.library import load_profile
from rapgym.profiles.scission import import_scission, read_scission_csv, scission_table
from tests.helpers import shared_data_dir

UCC = """model,tier,platform,block,first_layer,last_layer,latency_ms,output_bytes
vgg16,device,raspi4,0,0,1,70.0,12845184
vgg16,device,raspi4,1,2,2,240.0,12845184
vgg16,device,raspi4,2,3,3,15.0,4128
vgg16,cloud,6700k(GPU),0,0,1,1.0,12845184
vgg16,cloud,6700k(GPU),1,2,2,2.0,12845184
vgg16,cloud,6700k(GPU),2,3,3,0.5,4128
"""
FORK = """model,platform,block,layers,layer_types,flops,params,output_MiB,latency_ms
resnet50,jetsonnano,0,0,InputLayer,0,0,0.5743408203125,1.5
resnet50,jetsonnano,1,1-3,"ZeroPadding2D,Conv2D",100,10,0.003936767578125,20.0
resnet50,bonarda(GPU),0,0,InputLayer,0,0,0.5743408203125,0.1
resnet50,bonarda(GPU),1,1-3,"ZeroPadding2D,Conv2D",100,10,0.003936767578125,2.0
"""


def test_ucc_layout(tmp_path) -> None:
    path = tmp_path / "ucc.csv"
    path.write_text(UCC)
    p = import_scission(path, "vgg16", "raspi4", "6700k(GPU)")
    assert p.K == 3 and p.bits == (32,)
    assert np.allclose(p.device_s, [0, 0.070, 0.310, 0.325])
    assert np.allclose(p.cloud_s, [0.0035, 0.0025, 0.0005, 0])
    assert list(p.tx_bytes) == [150528, 64 * 224 * 224 * 4, 64 * 224 * 224 * 4, 1000 * 4]
    assert p.base_accuracy == 71.3 and "ucc.csv" in p.provenance["device_s"]
    assert set(p.provenance) >= {"name", "cut_names", "bits", "device_s", "cloud_s", "tx_bytes", "acc_loss", "base_accuracy"}


def test_fork_layout(tmp_path) -> None:
    path = tmp_path / "fork.csv"
    path.write_text(FORK)
    p = import_scission(path, "resnet50", "jetsonnano", "bonarda(GPU)", base_accuracy=70.0)
    assert list(p.tx_bytes) == [150528, 224 * 224 * 3 * 4, 1000 * 4]
    assert np.allclose(p.device_s, [0, 0.0015, 0.0215]) and p.base_accuracy == 70.0


@pytest.mark.parametrize(
    ("text", "match"),
    [(UCC.replace("240.0", "fast"), r"ucc.csv:3: malformed row"),
     (UCC.replace(",240.0,12845184", ",240.0"), r"ucc.csv:3: expected 8 fields"),
     (UCC.replace("15.0,4128", "15.0,-5"), r"ucc.csv:4: .*non-negative"),
     ("a,b,c\n1,2,3\n", r"ucc.csv:1: header .* matches no Scission layout")],
)
def test_malformed_rows_name_file_and_line(tmp_path, text: str, match: str) -> None:
    path = tmp_path / "ucc.csv"
    path.write_text(text)
    with pytest.raises(ProfileError, match=match):
        read_scission_csv(path)


def test_unknown_model_or_platform(tmp_path) -> None:
    path = tmp_path / "ucc.csv"
    path.write_text(UCC)
    with pytest.raises(ProfileError, match=r"no rows for model 'vgg16' on platform 'tpu'.*platforms for this model: \['6700k\(GPU\)', 'raspi4'\]"):
        import_scission(path, "vgg16", "raspi4", "tpu")
    with pytest.raises(ProfileError, match="does not exist|cannot read"):
        import_scission(tmp_path / "missing.csv", "vgg16", "raspi4", "tpu")


def test_real_scission_tables() -> None:
    shared = shared_data_dir()
    p = import_scission(scission_table("ucc2020", shared), "vgg16", "raspi4", "6700k(GPU)")
    assert p.K == 22 and p.device_s[-1] == pytest.approx(2.111, rel=1e-3)
    assert p.tx_bytes[1] == 64 * 224 * 224 * 4
    q = import_scission(scission_table("fork", shared), "mobilenetv2", "jetsonnano", "bonarda(GPU)")
    assert q.device_s[-1] == pytest.approx(0.157, rel=0.01)


@pytest.mark.parametrize(("device", "cloud", "platform"), [("raspberry-pi-4", None, "raspi4"), (None, "desktop-gpu", "6700k(GPU)")])
@pytest.mark.parametrize("model", ["vgg16", "resnet50", "mobilenetv2"])
def test_library_within_25_percent_of_scission(model: str, device: str | None, cloud: str | None, platform: str) -> None:
    real = import_scission(scission_table("ucc2020", shared_data_dir()), model, platform, platform)
    if device:
        ours, theirs = load_profile(model, device=device).device_s[-1], real.device_s[-1]
    else:
        ours, theirs = load_profile(model, cloud=cloud).cloud_s[0], real.cloud_s[0]
    assert abs(ours / theirs - 1) <= 0.25


def test_vgg16_crossing_bytes_equal_scission_at_every_cut() -> None:
    """torchvision and Keras VGG16 blocks correspond one to one; the tensor sizes must agree exactly."""
    real = import_scission(scission_table("ucc2020", shared_data_dir()), "vgg16", "raspi4", "raspi4")
    assert list(load_profile("vgg16").tx_bytes) == list(real.tx_bytes)
