"""The torch profiler: cut detection, illegal cuts, FLOPs and bytes, quantization loss, CLI."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from rapgym.errors import ProfileError  # noqa: E402
from rapgym.profiler.__main__ import main as cli_main  # noqa: E402
from rapgym.profiler.core import profile_module  # noqa: E402
from rapgym.profiler.cuts import default_cuts, family_of  # noqa: E402
from rapgym.profiler.quant import HEADER_BYTES, payload_bytes, quantize_dequantize  # noqa: E402
from rapgym.profiler.small_models import SMALL_MODELS, build_small  # noqa: E402
from rapgym.profiler.split import run_chain, split_at_cuts  # noqa: E402
from rapgym.profiles.library import load_profile  # noqa: E402


def tiny() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 5)).eval()


def synthetic(model: nn.Module, n: int = 256, shape: tuple[int, ...] = (1, 8, 8)) -> list[tuple]:
    """Gaussian inputs labelled by the fp32 model, in two batches."""
    x = torch.randn(n, *shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        y = model(x).argmax(dim=1)
    return [(x[: n // 2], y[: n // 2]), (x[n // 2 :], y[n // 2 :])]


def test_tiny_sequential_profile_is_exact() -> None:
    model = tiny()
    result = profile_module(model, (1, 8, 8), synthetic(model), repeats=3, warmup=1)
    p = result.profile
    assert p.cut_names == ("input", "0", "1", "2", "3", "output")
    conv = 2 * (4 * 8 * 8) * (1 * 3 * 3)  # 2 FLOPs per MAC: outputs x kernel volume
    linear = 2 * 5 * 64
    assert np.allclose(p.flops, [0, conv, conv, conv, conv, conv + linear])
    assert list(p.tx_bytes) == [64, 4 * 4 * 64, 4 * 4 * 64, 4 * 4 * 16, 4 * 64, 4 * 5]
    assert result.blocks[0].flops_conv == conv and result.blocks[-1].flops_linear == linear
    assert p.base_accuracy == 100.0
    assert np.all(p.acc_loss[:, p.bits.index(32)] == 0) and np.all(p.acc_loss[[0, -1]] == 0)
    assert p.acc_loss[1:-1, p.bits.index(2)].mean() >= p.acc_loss[1:-1, p.bits.index(8)].mean()
    assert p.acc_loss[1:-1, p.bits.index(2)].mean() > 0
    assert np.all(np.diff(p.device_s) > 0) and "median of 3 runs" in p.provenance["device_s"]
    assert "IQR" in p.provenance["device_s"] and "synthetic" not in p.provenance["acc_loss"]
    assert set(p.provenance) >= {"name", "cut_names", "bits", "device_s", "cloud_s", "tx_bytes", "acc_loss", "base_accuracy", "flops"}


@pytest.mark.parametrize("family", sorted(SMALL_MODELS))
def test_small_models_split_exactly(family: str) -> None:
    model = build_small(family).eval()
    segments, cuts = split_at_cuts(model, default_cuts(model))
    x = torch.randn(4, 1, 28, 28)
    with torch.inference_mode():
        assert torch.allclose(run_chain(segments, x)[-1], model(x), atol=1e-5)
    assert cuts == default_cuts(model) and family_of(model) != "unknown"


def test_resnet_small_cuts_between_blocks_only() -> None:
    assert default_cuts(build_small("resnet")) == ["relu", "maxpool", "layer1.0", "layer1.1", "layer2.0", "layer3.0", "layer4.0", "avgpool"]


def test_cut_inside_residual_block_rejected() -> None:
    model = build_small("resnet").eval()
    with pytest.raises(ProfileError, match="2 tensors cross"):
        split_at_cuts(model, ["layer1.0.conv1"])


def test_module_without_cut_points_rejected() -> None:
    class Opaque(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.weight

    with pytest.raises(ProfileError, match="cut points not detected"):
        default_cuts(Opaque())
    with pytest.raises(ProfileError, match="no cut points"):
        split_at_cuts(Opaque(), [])
    with pytest.raises(ProfileError, match="not a submodule"):
        split_at_cuts(tiny(), ["nope"])


def test_wrong_input_shape_rejected() -> None:
    model = tiny()
    with pytest.raises(ProfileError, match=r"rejects an input of shape \(3, 8, 8\)"):
        profile_module(model, (3, 8, 8), synthetic(model))
    with pytest.raises(ProfileError, match="does not match the model input shape"):
        profile_module(model, (1, 8, 8), [(torch.zeros(2, 1, 9, 9), torch.zeros(2, dtype=torch.long))], repeats=1)


def test_quantization_error_bound_and_payload() -> None:
    x = torch.randn(3, 50)
    for bits in (2, 4, 8, 16):
        q = quantize_dequantize(x, bits)
        step = (x.max(dim=1).values - x.min(dim=1).values) / (2**bits - 1)
        assert torch.all((q - x).abs().max(dim=1).values <= step / 2 + 1e-6)
    assert torch.equal(quantize_dequantize(x, 32), x)
    assert payload_bytes(100, 8) == 100 + HEADER_BYTES and payload_bytes(100, 32) == 400


def test_cli_writes_a_loadable_profile(tmp_path, capsys) -> None:
    out = tmp_path / "resnet.json"
    cli_main(["small:resnet", "--data", "synthetic:32", "--input-shape", "1", "28", "28", "--out", str(out), "--repeats", "2",
              "--bits", "32", "8", "2"])
    p = load_profile(str(out), bits=(32, 8, 2))
    assert p.K == 9 and p.tx_bytes[p.cut_names.index("layer1.1")] == 16 * 14 * 14 * 4
    assert "torch" in p.provenance["device_s"] and "synthetic" in p.provenance["acc_loss"]
    with pytest.raises(SystemExit):
        cli_main(["small:resnet", "--cuts", "layer1.0.conv1", "--data", "synthetic:4", "--input-shape", "1", "28", "28",
                  "--out", str(out)])
    assert "not legal" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["alexnet", "vgg11", "resnet18", "mobilenet_v2", "googlenet", "densenet121", "inception_v3"])
def test_torchvision_families_split_exactly(name: str) -> None:
    """Only where torchvision is installed (the ``profile-vision`` extra); the library itself never needs it."""
    models = pytest.importorskip("torchvision.models")
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    model = getattr(models, name)(weights=None, **kwargs).eval()
    segments, cuts = split_at_cuts(model, default_cuts(model))
    x = torch.randn(1, 3, 96, 96) if name != "inception_v3" else torch.randn(1, 3, 160, 160)
    with torch.inference_mode():
        assert torch.allclose(run_chain(segments, x)[-1], model(x), atol=1e-4)
    assert len(cuts) >= 7 and family_of(model) != "unknown"
