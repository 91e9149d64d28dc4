"""What a pdftoppm run costs before its first page: one run over a PDF's pages
against one run a page, CPU of the renderer only, alternating.

    .venv/bin/python bench/render_runs.py bench/out/speed10/speed/dense.pdf --repeats 4

Prints the CPU seconds (user + sys of the pdftoppm processes) of each
repetition for both ways. Why a --jobs task renders a run of pages with one
pdftoppm (formocr.parallel.engine._run_length).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _render(pdf: Path, first: int, last: int, dpi: int) -> None:
    cmd = ["pdftoppm", "-r", str(dpi), "-cropbox", "-gray", "-f", str(first), "-l", str(last)]
    subprocess.run([*cmd, str(pdf)], stdout=subprocess.DEVNULL, check=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("pdf", type=Path)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args(argv)
    one_run: list[float] = []
    per_page: list[float] = []
    for rep in range(args.repeats):
        for mode in ("per-page", "one-run") if rep % 2 else ("one-run", "per-page"):
            t0 = _children_cpu()
            if mode == "one-run":
                _render(args.pdf, 1, args.pages, args.dpi)
                one_run.append(_children_cpu() - t0)
            else:
                for page in range(1, args.pages + 1):
                    _render(args.pdf, page, page, args.dpi)
                per_page.append(_children_cpu() - t0)
    print("one run of all pages, CPU s:", " / ".join(f"{x:.2f}" for x in one_run))
    print("one run a page, CPU s:      ", " / ".join(f"{x:.2f}" for x in per_page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
