"""A small CRNN: conv features over the normalised line, a BiGRU, CTC logits.

Input (N, 1, 32, W) from ``formocr.read.normalize.normalize_line``; output
(N, W/4, classes) raw logits, one frame per 4 input columns. Class ``blank``
(the last, 10) is CTC's blank; 0-9 are the digits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

ALPHABET = "0123456789"
BLANK = len(ALPHABET)
STRIDE = 4


@dataclass(frozen=True)
class CRNNConfig:
    channels: tuple[int, int, int, int] = (24, 48, 64, 96)
    hidden: int = 64  # GRU units per direction
    classes: int = len(ALPHABET) + 1
    dropout: float = 0.15

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> CRNNConfig:
        d = dict(d)
        d["channels"] = tuple(d["channels"])  # type: ignore[arg-type]
        return cls(**d)  # type: ignore[arg-type]


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class CRNN(nn.Module):
    def __init__(self, cfg: CRNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c1, c2, c3, c4 = cfg.channels
        self.features = nn.Sequential(
            *_block(1, c1),
            nn.MaxPool2d(2),  # 16 x W/2
            *_block(c1, c2),
            nn.MaxPool2d(2),  # 8 x W/4
            *_block(c2, c3),
            nn.MaxPool2d((2, 1)),  # 4 x W/4
            *_block(c3, c4),
            nn.MaxPool2d((2, 1)),  # 2 x W/4
            nn.Conv2d(c4, c4, (2, 1), bias=False),  # 1 x W/4
            nn.BatchNorm2d(c4),
            nn.ReLU(),
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.rnn = nn.GRU(c4, cfg.hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * cfg.hidden, cfg.classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).squeeze(2).transpose(1, 2)  # (N, T, C)
        h, _ = self.rnn(self.drop(f))
        return self.head(self.drop(h))  # (N, T, classes)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
