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

import numpy as np
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

    def export_form(self) -> ConvAutoencoder:
        """A copy that computes the same function in the form ONNX export writes.

        The decoder's last layer, a 3x3 convolution to one map, becomes the
        transposed convolution that equals it (the kernel's channels swapped
        and flipped). onnxruntime's blocked (NCHWc) convolutions pad a
        one-filter convolution to a whole block of filters and reorder its
        32 x 28 x 28 input into blocks: a quarter of the model's time for
        1 % of its arithmetic. A transposed convolution runs on the plain
        tensor the one before it leaves: 15 % less CPU a crop (BENCHMARKS.md),
        the logits within 2e-6.
        """
        import copy

        twin = copy.deepcopy(self)
        conv = twin.decoder[3]
        if isinstance(conv, nn.Conv2d):
            twin.decoder[3] = _as_transposed(conv)
        return twin


def _as_transposed(conv: nn.Conv2d) -> nn.ConvTranspose2d:
    """The stride-1 transposed convolution equal to ``conv`` (stride 1, 'same' padding)."""
    k = conv.kernel_size[0]
    pad = conv.padding[0]
    assert conv.stride == (1, 1) and isinstance(pad, int) and conv.groups == 1
    t = nn.ConvTranspose2d(conv.in_channels, conv.out_channels, k, padding=pad)
    with torch.no_grad():
        t.weight.copy_(conv.weight.transpose(0, 1).flip(2, 3))
        assert t.bias is not None and conv.bias is not None
        t.bias.copy_(conv.bias)
    return t


def conv_from_transposed(w: np.ndarray) -> np.ndarray:
    """The kernel of the convolution a stride-1 transposed convolution of kernel
    ``w`` (in, out, k, k) equals: (out, in, k, k), flipped. The inverse of
    :func:`_as_transposed`'s, for weights read back from an ONNX file."""
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def members_from_onnx(path: str, classes: int = 11, seed: int = 0) -> list[ConvAutoencoder]:
    """The members of an exported ensemble, rebuilt as plain (BN-free) torch models.

    The export folds each convolution's batch normalisation into it; only the
    transposed convolutions keep a BatchNormalization node, folded here. A
    member with more classes than the file gets the extra output rows
    initialised small, so a warm start reads digits as the file did.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:  # the exporter aliases a tensor shared by members
        if n.op_type == "Identity" and n.input[0] in init:
            init[n.output[0]] = init[n.input[0]]
    eps = {
        n.input[1]: next(
            (a.f for a in n.attribute if a.name == "epsilon"),
            1e-5,
        )
        for n in graph.node
        if n.op_type == "BatchNormalization"
    }
    # The nodes of each member in graph order (an ensemble names its nodes
    # '/members.<i>/...', a single model does not). Weights are looked up by
    # the nodes' inputs: the exporter shares identical tensors between members.
    nodes: dict[str, dict[str, list[list[str]]]] = {}
    for n in graph.node:
        parts = n.name.split("/")
        member = parts[1] if len(parts) > 1 and parts[1].startswith("members.") else ""
        nodes.setdefault(member, {}).setdefault(n.op_type, []).append(list(n.input))
    out = []
    members = sorted(k for k, ops in nodes.items() if "Gemm" in ops)
    for m_i, prefix in enumerate(members):
        ops = nodes[prefix]
        conv, deconv, gemm = ops["Conv"], ops["ConvTranspose"], ops["Gemm"]
        # A model trained without batch normalisation has no BN nodes.
        bn: list[list[str] | None] = list(ops.get("BatchNormalization", [None, None]))
        hidden = init[gemm[0][1]].shape[0]
        file_classes = init[gemm[1][1]].shape[0]
        model = ConvAutoencoder(ModelConfig(classes=classes, batchnorm=False, hidden=hidden))
        sd: dict[str, np.ndarray] = {}
        keys = ("encoder.0.0", "encoder.2.0", "decoder.1.0", "decoder.3")
        for key, node in zip(keys[: len(conv)], conv, strict=True):
            sd[f"{key}.weight"], sd[f"{key}.bias"] = init[node[1]], init[node[2]]
        # The decoder's last layer: a convolution in a file exported before
        # ConvAutoencoder.export_form, the transposed convolution equal to it since.
        for node in deconv[2:]:
            sd["decoder.3.weight"] = conv_from_transposed(init[node[1]])
            sd["decoder.3.bias"] = init[node[2]]
        sd["classifier.3.weight"], sd["classifier.3.bias"] = init[gemm[0][1]], init[gemm[0][2]]
        for key, dnode, bnode in zip(("decoder.0", "decoder.2"), deconv[:2], bn, strict=True):
            w, b = init[dnode[1]], init[dnode[2]]
            if bnode is None:
                sd[f"{key}.0.weight"], sd[f"{key}.0.bias"] = w, b
                continue
            g, beta, mean, var = (init[i] for i in bnode[1:5])
            s = g / np.sqrt(var + eps.get(bnode[1], 1e-5))
            sd[f"{key}.0.weight"] = w * s[None, :, None, None]  # (in, out, k, k)
            sd[f"{key}.0.bias"] = (b - mean) * s + beta
        w6, b6 = init[gemm[1][1]], init[gemm[1][2]]
        k = min(classes, file_classes)
        rng = np.random.default_rng((seed, m_i))
        w_new = rng.normal(0, 0.01, (classes, w6.shape[1])).astype(np.float32)
        b_new = np.full(classes, float(b6.min()) - 1.0, np.float32)
        w_new[:k], b_new[:k] = w6[:k], b6[:k]
        sd["classifier.6.weight"], sd["classifier.6.bias"] = w_new, b_new
        model.load_state_dict(
            {k2: torch.from_numpy(np.array(v, np.float32)) for k2, v in sd.items()}
        )
        out.append(model.eval())
    return out
