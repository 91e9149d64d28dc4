"""What the benchmark scripts share: data paths, the held-out writers, run records.

Benchmarks read ``../shared/data`` (MNIST, optdigits) in place and never copy
it; everything they write goes to ``bench/out/`` (git-ignored). Each script
writes one JSON record that says how, when, where and with which model it was
measured, so ``bench/report.py`` can turn the records into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
SHARED = REPO.parent / "shared" / "data"
MNIST_DIR = SHARED / "mnist"
OPTDIGITS = SHARED / "optdigits" / "optdigits-orig.tra"
# training/train.py trains on the first int(n * 2/3) optdigits digits, in file
# order (which follows the writers); the rest are writers it never saw.
OPTDIGITS_TRAIN_SHARE = 2 / 3


def heldout_optdigits(path: Path = OPTDIGITS) -> tuple[np.ndarray, np.ndarray, int]:
    """The optdigits digits the model was not trained on: (images, labels, first index).

    Images are 32x32 uint8, dark ink on light paper, in file order.
    """
    from training.data import load_optdigits

    data = load_optdigits(path)
    cut = int(len(data) * OPTDIGITS_TRAIN_SHARE)
    return data.images[cut:], data.labels[cut:], cut


def upscale_bitmap(bitmap: np.ndarray, height: int = 128) -> np.ndarray:
    """A 32x32 binary optdigits bitmap -> a smooth-edged dark-on-light digit.

    Bilinear enlargement of a 0/255 bitmap, lightly blurred and thresholded
    at mid-grey, turns the pixel staircase into a pen-like outline; the page
    generator then scales it to the height it wants (area-averaged, so the
    final edges are anti-aliased like a scan).
    """
    scale = height / bitmap.shape[0]
    size = (round(bitmap.shape[1] * scale), height)
    big = cv2.resize(bitmap, size, interpolation=cv2.INTER_LINEAR)
    big = cv2.GaussianBlur(big, (0, 0), max(0.5, scale / 3))
    return np.where(big < 128, 0, 255).astype(np.uint8)


def model_info(model: Path | None = None) -> dict[str, Any]:
    """Name, sha256 and card facts of the model a run used (the shipped one by default)."""
    from formocr.read.classify import default_model_path, load_card

    path = Path(model) if model else default_model_path()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    card = load_card(path)
    return {
        "path": str(path),
        "name": card.get("name"),
        "sha256": sha,
        "created": card.get("created"),
        "epochs_validated": len(card.get("validation", [])),
        "card_metrics": card.get("metrics", {}),
        # Every shipped model (digits, strings, ...): a run is labelled by all it could use.
        "shipped": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(default_model_path().parent.glob("*.onnx"))
        },
    }


def machine_info() -> dict[str, Any]:
    """Enough to tell whether two runs are comparable: CPU, its widest vector
    instructions (two machines both named "AMD EPYC" ran the digit model at
    0.43 and 1.16 ms a crop), cores, load."""
    cpu, named, flags = platform.processor() or "", False, set[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not named:
                cpu, named = line.split(":", 1)[1].strip(), True
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            if named and flags:
                break
    except OSError:
        pass
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpu": cpu,
        "simd": next((f for f in ("avx512f", "avx2", "avx", "sse4_2") if f in flags), ""),
        "vnni": bool({"avx512_vnni", "avx_vnni"} & flags),
        "cores": os.cpu_count(),
        "loadavg_1_5_15": [round(v, 2) for v in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def git_info() -> dict[str, Any]:
    """The commit measured, and the files that differed from it (read-only git calls)."""

    def git(*args: str) -> str:
        try:
            proc = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:
            return ""
        return proc.stdout.rstrip("\n") if proc.returncode == 0 else ""

    status = git("status", "--porcelain", "--", "formocr", "training")
    return {
        "commit": git("rev-parse", "--short=12", "HEAD").strip() or None,
        "uncommitted": [line[3:] for line in status.splitlines()],
    }


def byte_compile_formocr() -> None:
    """Byte-compile the formocr package in place, as ``pip install .`` does.

    A timing run should pay what an installed formocr pays. pip writes every
    module's bytecode when it installs (README's command (a)); an editable
    install writes it on first import, unless PYTHONDONTWRITEBYTECODE is set
    (it is on this project's machines), and then every process compiles
    formocr's modules from source again: about 0.2 s of CPU in the CLI and in
    each ``--jobs`` worker. The cache is git-ignored.
    """
    import compileall

    import formocr

    compileall.compile_dir(Path(formocr.__file__).parent, quiet=1)


def run_record(script: str, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """The header every result JSON carries: command, date, machine, model, code."""
    args = list(sys.argv[1:] if argv is None else argv)
    return {
        "git": git_info(),
        "command": " ".join(
            [".venv/bin/python", f"bench/{script}", *(shlex.quote(a) for a in args)]
        ),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "model": model_info(),
    }


def finish_record(record: dict[str, Any]) -> None:
    """Load at the end too: a training job that starts mid-run shows here."""
    record["machine"]["loadavg_at_end"] = machine_info()["loadavg_1_5_15"]


def publish(
    record: dict[str, Any], path: Path, render: Callable[[dict[str, Any]], str], note: str = ""
) -> Path:
    """Close the record, write it to ``path``, print its markdown (stdout)
    and where it went (stderr)."""
    finish_record(record)
    out = write_json(path, record)
    print(render(record))
    print(f"written: {out}{note}", file=sys.stderr)
    return out


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Atomic JSON write (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    os.replace(tmp, path)
    return path


def _jsonable(o: object) -> object:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def pct(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f} %"


def add_turn_option(ap: argparse.ArgumentParser, what: str) -> None:
    """``--turn DEG``: ``what`` turned so many degrees clockwise before it is
    read (formocr's check of which way up a page lies: formocr.read.orient)."""
    ap.add_argument(
        "--turn",
        type=int,
        choices=(0, 90, 180, 270),
        default=0,
        help=f"{what} turned so many degrees clockwise, as fed sideways (90, 270) or upside "
        "down (180)",
    )
