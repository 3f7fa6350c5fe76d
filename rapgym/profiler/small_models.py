"""Small 28x28 single-channel members of the five families profiled for accuracy loss.

Each keeps its torchvision family's module layout (attribute names), so :func:`default_cuts` finds
the same kind of cut points as in the full-size model: chain cuts after activations and pools for
AlexNet/VGG, block boundaries for ResNet, MobileNetV2 and GoogLeNet.
"""

from __future__ import annotations

import torch
from torch import nn

from rapgym.errors import ProfileError

__all__ = ["SMALL_MODELS", "build_small"]


def _conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), act(inplace=True))


class ChainNet(nn.Module):
    """AlexNet/VGG layout: ``features`` -> ``avgpool`` -> flatten -> ``classifier``."""

    def __init__(self, features: nn.Sequential, pooled: int, classifier: nn.Sequential) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d(pooled)
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def alexnet_small() -> ChainNet:
    features = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(64, 96, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(96, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
    )
    classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(64 * 9, 256), nn.ReLU(inplace=True), nn.Linear(256, 10))
    return ChainNet(features, 3, classifier)


def vgg_small() -> ChainNet:
    layers: list[nn.Module] = []
    cin = 1
    for cout in (16, 16, "M", 32, 32, "M", 64, 64, "M"):
        if cout == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            cin = cout
    classifier = nn.Sequential(nn.Linear(64 * 9, 128), nn.ReLU(inplace=True), nn.Dropout(0.3), nn.Linear(128, 10))
    return ChainNet(nn.Sequential(*layers), 3, classifier)


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv-BN, identity or 1x1 projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class ResNetSmall(nn.Module):
    """ResNet layout (``conv1 bn1 relu maxpool layer1..4 avgpool fc``) for 28x28 inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(2)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2))
        self.layer4 = nn.Sequential(BasicBlock(64, 64))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 linear project; residual when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [_conv_bn(cin, hidden, 1, act=nn.ReLU6)]
        layers += [_conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_res_connect = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2Small(nn.Module):
    """MobileNetV2 layout (``features`` of inverted residuals, ``classifier``) for 28x28 inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn(1, 16, act=nn.ReLU6), InvertedResidual(16, 16, 1, 1), InvertedResidual(16, 24, 2, 4),
            InvertedResidual(24, 24, 1, 4), InvertedResidual(24, 32, 2, 4), InvertedResidual(32, 32, 1, 4),
            InvertedResidual(32, 64, 1, 4), _conv_bn(64, 128, 1, act=nn.ReLU6),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


class Inception(nn.Module):
    """GoogLeNet inception module: 1x1 | 1x1-3x3 | 1x1-3x3 | maxpool-1x1, concatenated."""

    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, cp: int) -> None:
        super().__init__()
        self.branch1 = _conv_bn(cin, c1, 1)
        self.branch2 = nn.Sequential(_conv_bn(cin, c3r, 1), _conv_bn(c3r, c3, 3))
        self.branch3 = nn.Sequential(_conv_bn(cin, c5r, 1), _conv_bn(c5r, c5, 3))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), _conv_bn(cin, cp, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNetSmall(nn.Module):
    """GoogLeNet layout (stem, ``inception3a``..``inception5b``, ``avgpool``, ``dropout``, ``fc``) for 28x28."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = _conv_bn(1, 32)
        self.maxpool1 = nn.MaxPool2d(2)
        self.conv2 = _conv_bn(32, 48)
        self.inception3a = Inception(48, 16, 24, 32, 8, 8, 8)
        self.inception3b = Inception(64, 24, 32, 48, 8, 16, 16)
        self.maxpool3 = nn.MaxPool2d(2)
        self.inception4a = Inception(104, 32, 32, 48, 8, 16, 16)
        self.inception5b = Inception(112, 32, 32, 64, 8, 16, 16)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.maxpool1(self.conv1(x)))
        x = self.inception4a(self.maxpool3(self.inception3b(self.inception3a(x))))
        x = torch.flatten(self.avgpool(self.inception5b(x)), 1)
        return self.fc(self.dropout(x))


SMALL_MODELS = {
    "alexnet": alexnet_small, "vgg": vgg_small, "resnet": ResNetSmall,
    "mobilenetv2": MobileNetV2Small, "googlenet": GoogLeNetSmall,
}
"""Family name (as in :data:`rapgym.profiles.library.FAMILY`) -> constructor of its small model."""


def build_small(family: str) -> nn.Module:
    """A freshly initialised small model of ``family``."""
    if family not in SMALL_MODELS:
        raise ProfileError(f"unknown family {family!r}; available: {sorted(SMALL_MODELS)}")
    return SMALL_MODELS[family]()
