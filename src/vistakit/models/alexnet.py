"""AlexNet (Krizhevsky, 2014, "One weird trick for parallelizing convolutional neural networks").

torchvision's single-tower variant and layout: ``features`` (5 convolutions, 3 max pools),
a 6x6 adaptive average pool, and a three-layer ``classifier`` with dropout.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._base import ImageClassifier
from ._published import torchvision_weights
from ._registry import ModelSpec, register_model


class AlexNet(ImageClassifier):
    """AlexNet.

    Args:
        num_classes: classifier outputs (0: none, pre-logits out).
        in_chans: input channels.
        drop_rate: dropout before each of the first two linear layers (0.5 as published).

    Shape:
        (N, in_chans, H, W) -> (N, num_classes), H and W at least 63.
    """

    classifier_name = "classifier.6"
    first_conv = "features.0"

    def __init__(self, *, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = 4096
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 64, 11, 4, 2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(drop_rate),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes) if num_classes > 0 else nn.Identity(),
        )
        # the max-pooled outputs (strides after the stride-4 conv and each 3x3/2 pool)
        self.feature_info = [
            {"num_chs": 64, "reduction": 8, "module": "features.2"},
            {"num_chs": 192, "reduction": 16, "module": "features.5"},
            {"num_chs": 256, "reduction": 32, "module": "features.12"},
        ]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, 256, h, w), h = 6 at 224."""
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 256, h, w) -> (N, num_classes), or (N, 4096) after the second hidden layer."""
        x = torch.flatten(self.avgpool(x), 1)
        x = self.classifier[:-1](x)
        return x if pre_logits else self.classifier[-1](x)

    def group_matcher(self) -> dict[str, Any]:
        return {
            "stem": r"^features\.0\.",
            "blocks": [r"^features\.3\.", r"^features\.(6|8|10)\."],
            "head": r"^classifier\.",
        }


@register_model(
    ModelSpec(
        name="alexnet",
        family="alexnet",
        paper="Krizhevsky, 2014, One weird trick for parallelizing convolutional neural networks",
        num_params=61100840,
        gflops=0.71419,
        min_size=63,
        weights=(
            torchvision_weights(
                "imagenet", "alexnet-owt-7be5be79.pth", enum="AlexNet_Weights.IMAGENET1K_V1", top1=56.522, top5=79.066
            ),
        ),
    )
)
def alexnet(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> AlexNet:
    """AlexNet, torchvision's variant."""
    return AlexNet(num_classes=num_classes, in_chans=in_chans, **kwargs)
