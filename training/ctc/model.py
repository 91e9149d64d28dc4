"""A small CRNN: conv features over the normalised line, a BiGRU, CTC logits.

Input (N, 1, 32, W) from ``formocr.read.normalize.normalize_line``; output
(N, W/4, classes) raw logits, one frame per 4 input columns. Class ``blank``
(the last, 10) is CTC's blank; 0-9 are the digits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

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
    # False: convolutions with biases and no batch normalisation, as a model
    # rebuilt from its ONNX file is (the export folds each BN into its
    # convolution; ``crnn_from_onnx``).
    batchnorm: bool = True

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> CRNNConfig:
        d = dict(d)
        d["channels"] = tuple(d["channels"])  # type: ignore[arg-type]
        return cls(**d)  # type: ignore[arg-type]


def _block(
    cin: int, cout: int, bn: bool = True, kernel: tuple[int, int] = (3, 3), padding: int = 1
) -> list[nn.Module]:
    if not bn:
        return [nn.Conv2d(cin, cout, kernel, padding=padding), nn.ReLU()]
    conv = nn.Conv2d(cin, cout, kernel, padding=padding, bias=False)
    return [conv, nn.BatchNorm2d(cout), nn.ReLU()]


class CRNN(nn.Module):
    def __init__(self, cfg: CRNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c1, c2, c3, c4 = cfg.channels
        bn = cfg.batchnorm
        self.features = nn.Sequential(
            *_block(1, c1, bn),
            nn.MaxPool2d(2),  # 16 x W/2
            *_block(c1, c2, bn),
            nn.MaxPool2d(2),  # 8 x W/4
            *_block(c2, c3, bn),
            nn.MaxPool2d((2, 1)),  # 4 x W/4
            *_block(c3, c4, bn),
            nn.MaxPool2d((2, 1)),  # 2 x W/4
            *_block(c4, c4, bn, kernel=(2, 1), padding=0),  # 1 x W/4
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


def crnn_from_onnx(path: str | Path) -> CRNN:
    """An exported string model rebuilt in torch, to train on from there
    (``formocr-train train-ctc --init-onnx``): the same function as the file.

    The export folds each batch normalisation into its convolution, so the
    rebuilt model has biased convolutions and none (``batchnorm=False``).
    Its channels and GRU width are read from the file. ONNX orders a GRU's
    gates update, reset, new; torch reset, update, new.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    grus = [n for n in graph.node if n.op_type == "GRU"]
    heads = [n for n in graph.node if n.op_type == "MatMul"]
    if len(convs) != 5 or len(grus) != 1 or len(heads) != 1:
        raise ValueError(f"{path}: not a formocr string model (CRNN) as train-ctc exports it")
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in grus[0].attribute}
    if attrs.get("direction") != b"bidirectional" or attrs.get("linear_before_reset") != 1:
        raise ValueError(f"{path}: its GRU is not the bidirectional one torch exports")
    w_ih, w_hh, bias = (init[i] for i in grus[0].input[1:4])
    hidden = int(attrs["hidden_size"])
    head_w = init[heads[0].input[1]]  # (2 * hidden, classes)
    channels = tuple(int(init[n.input[1]].shape[0]) for n in convs[:4])
    model = CRNN(
        CRNNConfig(
            channels=channels,  # type: ignore[arg-type]
            hidden=hidden,
            classes=int(head_w.shape[1]),
            batchnorm=False,
        )
    )
    sd = model.state_dict()
    torch_convs = [
        k[: -len(".weight")] for k in sd if k.startswith("features.") and k.endswith(".weight")
    ]
    for key, node in zip(torch_convs, convs, strict=True):
        sd[f"{key}.weight"] = torch.from_numpy(init[node.input[1]].copy())
        sd[f"{key}.bias"] = torch.from_numpy(init[node.input[2]].copy())

    def gates(a: np.ndarray) -> torch.Tensor:  # (3h, ...) z, r, n -> r, z, n
        z, r, n = np.split(a, 3, axis=0)
        return torch.from_numpy(np.concatenate([r, z, n], axis=0).copy())

    for d, suffix in enumerate(("", "_reverse")):
        sd[f"rnn.weight_ih_l0{suffix}"] = gates(w_ih[d])
        sd[f"rnn.weight_hh_l0{suffix}"] = gates(w_hh[d])
        sd[f"rnn.bias_ih_l0{suffix}"] = gates(bias[d][: 3 * hidden])
        sd[f"rnn.bias_hh_l0{suffix}"] = gates(bias[d][3 * hidden :])
    sd["head.weight"] = torch.from_numpy(head_w.T.copy())
    (add,) = [n for n in graph.node if n.op_type == "Add" and heads[0].output[0] in n.input]
    (b_name,) = [i for i in add.input if i in init]
    sd["head.bias"] = torch.from_numpy(init[b_name].copy())
    model.load_state_dict(sd)
    model.eval()
    return model
