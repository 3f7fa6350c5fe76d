"""Default cut points, detected from module structure (no torchvision import needed).

Recognised: ``nn.Sequential`` (a cut after every child but the last) and the module layouts of the
torchvision families AlexNet/VGG, ResNet, MobileNetV2, GoogLeNet, Inception v3 and DenseNet. Chain nets are cut
after activations and pools (never between a conv and its activation); residual and dense nets only
between blocks, where one tensor crosses.
"""

from __future__ import annotations

from torch import nn

from rapgym.errors import ProfileError

__all__ = ["default_cuts", "family_of"]

_CHAIN_ENDS = (nn.ReLU, nn.ReLU6, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Hardswish, nn.SiLU)


def _has(model: nn.Module, *names: str) -> bool:
    return all(hasattr(model, n) for n in names)


def family_of(model: nn.Module) -> str:
    """Structural family name: sequential, chain, resnet, mobilenetv2, googlenet, inception3, densenet or unknown."""
    if isinstance(model, nn.Sequential):
        return "sequential"
    if _has(model, "layer1", "layer2", "layer3", "layer4", "fc", "maxpool"):
        return "resnet"
    if _has(model, "inception3a", "inception5b", "fc"):
        return "googlenet"
    if _has(model, "Mixed_5b", "Mixed_7c", "fc"):
        return "inception3"
    features = getattr(model, "features", None)
    if isinstance(features, nn.Sequential) and hasattr(model, "classifier"):
        if hasattr(features, "denseblock1"):
            return "densenet"
        if type(features[1]).__name__ == "InvertedResidual":
            return "mobilenetv2"
        if hasattr(model, "avgpool") and isinstance(model.classifier, nn.Sequential):
            return "chain"
    return "unknown"


def _chain_cuts(prefix: str, seq: nn.Sequential) -> list[str]:
    return [f"{prefix}.{name}" for name, m in seq.named_children() if isinstance(m, _CHAIN_ENDS)]


def default_cuts(model: nn.Module) -> list[str]:
    """Cut names (submodule qualified names, in execution order) for a recognised model.

    Raises :class:`ProfileError` for a module whose structure is not recognised.
    """
    family = family_of(model)
    if family == "sequential":
        names = [name for name, _ in model.named_children()]
        if len(names) < 2:
            raise ProfileError("an nn.Sequential with fewer than 2 children has no usable cut point")
        return names[:-1]
    if family == "chain":  # AlexNet / VGG
        last = f"classifier.{len(model.classifier) - 1}"
        tail = [c for c in _chain_cuts("classifier", model.classifier) if c != last]
        return _chain_cuts("features", model.features) + ["avgpool"] + tail
    if family == "resnet":
        blocks = [f"layer{i}.{name}" for i in range(1, 5) for name, _ in getattr(model, f"layer{i}").named_children()]
        return ["relu", "maxpool", *blocks, "avgpool"]
    if family == "mobilenetv2":
        return [f"features.{name}" for name, _ in model.features.named_children()]
    if family in ("googlenet", "inception3"):  # children are registered in forward order
        return [name for name, _ in model.named_children() if name not in ("aux1", "aux2", "AuxLogits", "dropout", "fc")]
    if family == "densenet":
        return [f"features.{name}" for name, _ in model.features.named_children() if name not in ("conv0", "norm0", "relu0")]
    raise ProfileError(
        f"{type(model).__name__}: cut points not detected (not nn.Sequential nor a known torchvision family); "
        "declare them with cuts=[submodule names]"
    )
