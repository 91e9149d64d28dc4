"""The paper's convolutional auto-encoder classifier (Zeng, Meng, Guo).

encoder: conv 5x5x32 -> 2x2 avg pool -> conv 5x5x64 -> 2x2 avg pool (7x7x64)
decoder: deconv 2x2x64 s2 -> conv 3x3x32 -> deconv 2x2x32 s2 -> conv 3x3x1
         (a 28x28x1 map, also the reconstruction of the input)
classifier: fully connected 784 -> 500 -> 10 on that map.

Batch normalisation after each hidden convolution and dropout before the
classifier are our additions to the paper's recipe: they speed up training
and regularise; both fold into plain affine ops at export.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    c1: int = 32
    c2: int = 64
    d1: int = 64
    d2: int = 32
    hidden: int = 500
    classes: int = 10
    dropout: float = 0.3
    batchnorm: bool = True

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _block(conv: nn.Module, ch: int, bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = [conv]
    if bn:
        layers.append(nn.BatchNorm2d(ch))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ConvAutoencoder(nn.Module):
    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or ModelConfig()
        bn = cfg.batchnorm
        self.encoder = nn.Sequential(
            _block(nn.Conv2d(1, cfg.c1, 5, padding=2), cfg.c1, bn),
            nn.AvgPool2d(2),
            _block(nn.Conv2d(cfg.c1, cfg.c2, 5, padding=2), cfg.c2, bn),
            nn.AvgPool2d(2),
        )
        self.decoder = nn.Sequential(
            _block(nn.ConvTranspose2d(cfg.c2, cfg.d1, 2, stride=2), cfg.d1, bn),
            _block(nn.Conv2d(cfg.d1, cfg.d2, 3, padding=1), cfg.d2, bn),
            _block(nn.ConvTranspose2d(cfg.d2, cfg.d2, 2, stride=2), cfg.d2, bn),
            nn.Conv2d(cfg.d2, 1, 3, padding=1),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.ReLU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(28 * 28, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.classes),
        )

    def forward_both(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, reconstruction logits) for the joint loss."""
        recon = self.decoder(self.encoder(x))
        return self.classifier(recon), recon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_both(x)[0]
