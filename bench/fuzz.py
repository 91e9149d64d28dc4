"""Fuzzing the installed CLI: mutated scans through ``formocr scan``, counting what must not happen.

    .venv/bin/python bench/fuzz.py                          # 2,000 files
    .venv/bin/python bench/fuzz.py --files 200 --batch 25   # a quick look

Draws a few filled forms (``training.synth``, fixed seeds) and writes each
as PNG, JPEG, a 2-page TIFF and a 2-page PDF. Each of ``--files`` mutated
files is one of those with 1-8 random bytes replaced, and in some a run of
bytes deleted or the tail cut off. They are read by the real CLI as a
subprocess, ``--batch`` files a run (JSON output, ``--page-timeout``), and
each file's own decoders are asked, independently, whether it is damaged:

* PDF: ``pdfinfo`` and ``pdftoppm -cropbox -gray`` at the same dpi, whole
  document; any line on stderr but a "Syntax Warning" is a complaint;
* JPEG: OpenCV's libjpeg (full decode; its warnings reach stderr) and
  Pillow (exceptions, warnings);
* PNG, TIFF: Pillow, every frame (exceptions, warnings but unknown-tag and
  EXIF notes), and OpenCV's decoder.

It counts:

* unexpected errors: a run that exits 1, a document or page whose error says
  "unexpected error", a traceback on stderr;
* hangs: a run past its time limit (its files are then read one by one to
  find the file);
* ``ok`` fields from a file whose decoder complained (the acceptance: 0);
* for information, ``ok`` values that are neither what the unmutated file
  reads nor its truth (a mutation no decoder notices can still change ink).

Writes bench/out/fuzz.json and prints a markdown summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import OUT, md_table, publish, run_record
from PIL import Image

from training.synth import Degradation, make_form_page

DPI = 150
SUFFIX = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "pdf": ".pdf"}
HARMLESS = ("Syntax Warning", "Unknown field with tag", "unknown field with tag", "EXIF")


def formocr_cli() -> list[str]:
    exe = Path(sys.executable).with_name("formocr")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "formocr"]


def make_seeds(folder: Path, pages: int, seed: int) -> dict[str, dict[str, Any]]:
    """Seed files by name: their bytes, format and the truth of their fields."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, dict[str, Any]] = {}
    images: list[np.ndarray] = []
    truths: list[set[str]] = []
    for i in range(pages):
        img, drawn = make_form_page(
            np.random.default_rng(seed + i), DPI, degradation=Degradation.scan(), n_fields=4
        )
        images.append(img)
        truths.append({t.value for t in drawn if t.value})
    for i, img in enumerate(images):
        pil = Image.fromarray(img)
        two = [pil, Image.fromarray(images[(i + 1) % pages])]
        truth = sorted(truths[i] | truths[(i + 1) % pages])
        options: dict[str, tuple[list[Image.Image], dict[str, Any]]] = {
            "png": ([pil], {"dpi": (DPI, DPI)}),
            "jpeg": ([pil], {"quality": 85, "dpi": (DPI, DPI)}),
            "tiff": (two, {"compression": "tiff_deflate", "dpi": (DPI, DPI)}),
            "pdf": (two, {"resolution": DPI}),
        }
        for kind, (frames, opts) in options.items():
            path = folder / f"seed{i}{SUFFIX[kind]}"
            if len(frames) > 1:
                opts = opts | {"save_all": True, "append_images": frames[1:]}
            frames[0].save(path, **opts)
            seeds[path.name] = {"kind": kind, "bytes": path.read_bytes(), "truth": truth}
    return seeds


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        out[int(rng.integers(0, len(out)))] = int(rng.integers(0, 256))
    r = rng.random()
    if r < 0.1:  # cut the tail
        out = out[: int(rng.integers(1, len(out)))]
    elif r < 0.2:  # drop a run of bytes
        at = int(rng.integers(0, len(out)))
        del out[at : at + int(rng.integers(1, 200))]
    return bytes(out)


# -- the oracle: do the file's own decoders complain? --------------------------------


@contextlib.contextmanager
def stderr_lines() -> Iterator[list[str]]:
    """What C code prints on file descriptor 2 during the block."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines += [ln for ln in tmp.read().decode("utf-8", "replace").splitlines() if ln]


def complaints(path: Path, kind: str) -> dict[int, list[str]]:
    """Each page's complaints (page 0: the whole document's), harmless notes left out."""
    said: dict[int, list[str]] = {0: []}
    if kind == "pdf":
        pages = 0
        try:
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, timeout=120)
            said[0] += info.stderr.decode("utf-8", "replace").splitlines()
            if info.returncode != 0:
                said[0].append(f"pdfinfo exited {info.returncode}")
            for line in info.stdout.decode("utf-8", "replace").splitlines():
                if line.startswith("Pages:"):
                    pages = int(line.split()[1])
        except subprocess.TimeoutExpired:
            said[0].append("pdfinfo timed out")
        for i in range(1, pages + 1):
            cmd = ["pdftoppm", "-r", str(DPI), "-gray", "-cropbox", "-f", str(i), "-l", str(i)]
            try:
                done = subprocess.run([*cmd, str(path)], capture_output=True, timeout=120)
                said[i] = done.stderr.decode("utf-8", "replace").splitlines()
                if done.returncode != 0:
                    said[i].append(f"pdftoppm exited {done.returncode}")
            except subprocess.TimeoutExpired:
                said[i] = ["pdftoppm timed out"]
    else:
        with stderr_lines() as printed, warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                img = Image.open(path)
            except Exception as e:  # noqa: BLE001 (any decoder failure is a complaint)
                said[0].append(f"Pillow: {type(e).__name__}: {e}")
                img = None
            if img is not None:
                with img:
                    try:
                        frames = int(getattr(img, "n_frames", 1))
                    except Exception as e:  # noqa: BLE001
                        said[0].append(f"Pillow: {type(e).__name__}: {e}")
                        frames = 0
                    for i in range(frames):
                        said[i + 1] = []
                        with warnings.catch_warnings(record=True) as wf, stderr_lines() as pf:
                            warnings.simplefilter("always")
                            try:
                                img.seek(i)
                                img.load()
                            except Exception as e:  # noqa: BLE001
                                said[i + 1].append(f"Pillow: {type(e).__name__}: {e}")
                        said[i + 1] += pf + [str(x.message) for x in wf]
        said[0] += printed + [str(x.message) for x in w]
        # OpenCV decodes the first page only: what it says is page 1's.
        said.setdefault(1, [])
        with stderr_lines() as printed:
            try:
                if cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED) is None:
                    said[1].append("OpenCV cannot decode it")
            except cv2.error as e:
                said[1].append(f"OpenCV: {e}")
        said[1] += printed
    return {
        page: kept
        for page, lines in said.items()
        if (kept := [s for s in lines if s.strip() and not any(h in s for h in HARMLESS)])
    }


# -- running the CLI -----------------------------------------------------------------


def scan(files: list[Path], folder: Path, timeout: float, page_timeout: float) -> dict[str, Any]:
    """One CLI run over ``files`` (linked into ``folder``): exit code, stderr, documents."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for f in files:
        os.link(f, folder / f.name)
    out = folder.with_suffix(".json")
    out.unlink(missing_ok=True)
    cmd = [*formocr_cli(), "scan", str(folder), "-o", str(out), "--no-state"]
    cmd += ["--page-timeout", str(page_timeout)]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            cmd, capture_output=True, timeout=timeout, check=False, start_new_session=True
        )
    except subprocess.TimeoutExpired:
        return {"hang": True, "wall_s": time.perf_counter() - t0}
    docs = []
    if out.exists():
        with contextlib.suppress(ValueError):
            docs = json.loads(out.read_text("utf-8"))["documents"]
    return {
        "hang": False,
        "rc": done.returncode,
        "stderr": done.stderr.decode("utf-8", "replace"),
        "documents": {Path(d["source"]).name: d for d in docs},
        "wall_s": time.perf_counter() - t0,
    }


def unexpected(text: str | None) -> bool:
    return bool(text) and ("unexpected error" in text or "please report" in text)  # type: ignore[operator]


def ok_values(doc: dict[str, Any]) -> list[str]:
    return [f["value"] for p in doc.get("pages", []) for f in p["fields"] if f["status"] == "ok"]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed-pages", type=int, default=4)
    ap.add_argument("--seed", type=int, default=90_000)
    ap.add_argument("--page-timeout", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    record = run_record("fuzz.py", argv)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="formocr-fuzz-") as tmp_name:
        tmp = Path(tmp_name)
        seeds = make_seeds(tmp / "seeds", args.seed_pages, args.seed)
        base = scan([tmp / "seeds" / n for n in seeds], tmp / "base", 1800, args.page_timeout)
        if base["hang"] or base["rc"] != 0:
            raise SystemExit(f"the unmutated seeds do not scan cleanly: {base}")
        baseline = {n: set(ok_values(d)) for n, d in base["documents"].items()}
        names = sorted(seeds)
        made: list[tuple[Path, str, str]] = []
        (tmp / "files").mkdir()
        for i in range(args.files):
            name = names[int(rng.integers(0, len(names)))]
            kind = seeds[name]["kind"]
            path = tmp / "files" / f"f{i:05d}{SUFFIX[kind]}"
            path.write_bytes(mutate(seeds[name]["bytes"], rng))
            made.append((path, name, kind))
        print(f"{len(made)} mutated files in {tmp}", file=sys.stderr)

        counts: Counter[str] = Counter()
        by_kind: dict[str, Counter[str]] = {k: Counter() for k in SUFFIX}
        examples: dict[str, list[str]] = {"unexpected": [], "hang": [], "complained_ok": []}
        for start in range(0, len(made), args.batch):
            chunk = made[start : start + args.batch]
            limit = 60 + 2 * 2 * args.page_timeout * len(chunk)
            run = scan([p for p, _, _ in chunk], tmp / "run", limit, args.page_timeout)
            if run["hang"]:  # find the file: one run each
                runs = {p.name: scan([p], tmp / "one", 60 + 4 * args.page_timeout,
                                     args.page_timeout) for p, _, _ in chunk}  # fmt: skip
            else:
                runs = {p.name: run for p, _, _ in chunk}
            for path, seed_name, kind in chunk:
                r = runs[path.name]
                c = by_kind[kind]
                c["files"] += 1
                if r["hang"]:
                    c["hangs"] += 1
                    examples["hang"].append(path.name)
                    print(f"hang: {path.name}", file=sys.stderr)
                    continue
                doc = r["documents"].get(path.name)
                errors = [doc.get("error")] if doc else []
                errors += [p.get("error") for p in (doc or {}).get("pages", [])]
                crashed = r["rc"] == 1 or "Traceback" in r["stderr"]
                if crashed or any(unexpected(e) for e in errors):
                    c["unexpected"] += 1
                    examples["unexpected"].append(f"{path.name} ({seed_name}): {errors or r['rc']}")
                    print(f"unexpected: {examples['unexpected'][-1]}", file=sys.stderr)
                if doc is None:
                    c["missing"] += 1
                    continue
                c["failed_documents"] += doc["status"] == "failed"
                c["page_errors"] += sum(p.get("error") is not None for p in doc["pages"])
                ok = ok_values(doc)
                said = complaints(path, kind)
                c["decoder_complained"] += bool(said)
                # ok fields on a page its decoder complained about (or on any
                # page of a document it complained about as a whole)
                bad = [
                    f["value"]
                    for p in doc["pages"]
                    if 0 in said or p["page"] in said
                    for f in p["fields"]
                    if f["status"] == "ok"
                ]
                if bad:
                    c["complained_ok_pages_fields"] += len(bad)
                    examples["complained_ok"].append(f"{path.name}: {bad} / {said}")
                    print(f"complained, ok: {examples['complained_ok'][-1]}", file=sys.stderr)
                if said and ok:  # the file-level count: another page of it may be whole
                    c["complained_ok_files"] += 1
                known = baseline.get(seed_name, set()) | set(seeds[seed_name]["truth"])
                c["ok_fields"] += len(ok)
                c["ok_new_values"] += sum(v not in known for v in ok)
            done = min(start + args.batch, len(made))
            print(f"{done}/{len(made)} files, {dict(sum(by_kind.values(), Counter()))}",
                  file=sys.stderr)  # fmt: skip
        for c in by_kind.values():
            counts.update(c)
    record.update(
        {
            "params": vars(args) | {"out": str(args.out), "dpi": DPI},
            "totals": dict(counts),
            "by_kind": {k: dict(v) for k, v in by_kind.items()},
            "examples": {k: v[:20] for k, v in examples.items()},
        }
    )
    publish(record, args.out / "fuzz.json", render)
    return 0


def render(record: dict[str, Any]) -> str:
    cols = ["files", "unexpected", "hangs", "missing", "failed_documents", "page_errors",
            "decoder_complained", "complained_ok_pages_fields", "complained_ok_files",
            "ok_fields", "ok_new_values"]  # fmt: skip
    rows = [[k] + [v.get(c, 0) for c in cols] for k, v in record["by_kind"].items()]
    rows.append(["all"] + [record["totals"].get(c, 0) for c in cols])
    return md_table(["format", *cols], rows)


if __name__ == "__main__":
    raise SystemExit(main())
