"""``kill -9`` at a random moment in a batch, then the same command again.

    .venv/bin/python bench/resume_kill.py                    # 40 documents, 5 trials, --jobs 1
    .venv/bin/python bench/resume_kill.py --jobs 2 --seed 9
    .venv/bin/python bench/resume_kill.py --jobs 2 --pages 12 --docs 10   # multi-page PDFs

Writes ``--docs`` small forms (each a comb of three printed digits, all
different) as PNGs and reads them with the real CLI (``python -m formocr
scan DIR -o results.csv -q``), once uninterrupted (``--no-state``) for the
reference. Each trial starts the same command, waits until the state file
holds k finished documents (k drawn from 1 to docs - 1: a random moment in
the batch, not in the start-up), sends SIGKILL, and runs the command again.
A trial passes when the second run exits 0, its output is byte for byte the
reference (every row once, none missing, in order) and no ``.part`` file is
left. Worker processes a killed ``--jobs`` run leaves behind (its own
children, still alive a second after the kill) are counted and ended.

Prints a markdown summary; writes bench/out/resume_kill.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).parent / "out"


def form(text: str) -> np.ndarray:
    page = np.full((300, 400), 255, np.uint8)
    x0, y0, cell = 20, 20, 40
    cv2.rectangle(page, (x0, y0), (x0 + cell * len(text), y0 + cell), 0, 2)
    for i, ch in enumerate(text):
        x = x0 + i * cell
        cv2.line(page, (x, y0), (x, y0 + cell), 0, 1)
        cv2.putText(page, ch, (x + 10, y0 + 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return page


def finished(state: Path) -> int:
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def descendants(pid: int) -> set[int]:
    """The processes ``pid`` started, and theirs (from /proc)."""
    parent: dict[int, int] = {}
    for q in filter(str.isdigit, os.listdir("/proc")):
        try:
            parent[int(q)] = int(Path(f"/proc/{q}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        kids = [q for q, pp in parent.items() if pp == p and q not in out]
        out.update(kids)
        todo.extend(kids)
    return out


def alive(pids: set[int]) -> list[int]:
    """Those still running: a zombie (dead, not yet reaped by whoever adopted
    it; in some containers PID 1 never reaps) is not alive."""
    out = []
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        if "\nState:\tZ" not in status:
            out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages", type=int, default=1, help="pages a document (>1: PDFs)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="formocr-resume-kill-"))
    try:
        scans = work / "in"
        scans.mkdir()
        for i in range(args.docs):
            texts = [f"{(i * 37 + 11 * j) % 1000:03d}" for j in range(args.pages)]
            if args.pages == 1:
                cv2.imwrite(str(scans / f"doc_{i:03d}.png"), form(texts[0]))
            else:  # a PDF of pages read in runs by --jobs workers
                from PIL import Image

                im = [Image.fromarray(form(t)) for t in texts]
                im[0].save(scans / f"doc_{i:03d}.pdf", save_all=True, append_images=im[1:])

        def cmd(out: Path) -> list[str]:
            return [sys.executable, "-m", "formocr", "scan", str(scans), "-o", str(out), "-q"] + [
                "--jobs",
                str(args.jobs),
            ]

        ref = work / "reference.csv"
        t0 = time.monotonic()
        r = subprocess.run([*cmd(ref), "--no-state"], capture_output=True, text=True)
        wall = time.monotonic() - t0
        if r.returncode != 0:
            sys.exit(f"the reference run failed ({r.returncode}): {r.stderr}")
        trials = []
        for t in range(args.trials):
            d = work / f"trial{t}"
            d.mkdir()
            out = d / "results.csv"
            state = d / "results.csv.formocr-state.sqlite"
            k = rng.randint(1, args.docs - 1)
            p = subprocess.Popen(cmd(out), stderr=subprocess.DEVNULL)
            while finished(state) < k and p.poll() is None:
                time.sleep(0.01)
            kids = descendants(p.pid)  # its --jobs workers
            p.send_signal(signal.SIGKILL)
            p.wait()
            at = finished(state)
            time.sleep(1.0)  # workers that notice their parent is gone have ended by now
            left = alive(kids)
            for pid in left:  # ours to end: the killed run's own workers
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            r2 = subprocess.run(cmd(out), capture_output=True, text=True)
            expected = ref.read_text().replace(str(ref), str(out))
            same = out.exists() and out.read_text() == expected
            parts = [x.name for x in d.iterdir() if x.name.endswith(".part")]
            ok = r2.returncode == 0 and same and not parts
            trials.append(
                {"killed_with_documents_done": at, "rerun_exit": r2.returncode, "identical": same,
                 "parts_left": parts, "orphan_workers": len(left), "pass": ok}
            )  # fmt: skip
        record = {
            "docs": args.docs,
            "jobs": args.jobs,
            "seed": args.seed,
            "reference_wall_s": round(wall, 1),
            "trials": trials,
            "passed": sum(t["pass"] for t in trials),
        }
        OUT.mkdir(exist_ok=True)
        (OUT / "resume_kill.json").write_text(json.dumps(record, indent=2) + "\n")
        print(
            "| trial | documents done at kill | rerun exit | identical | .part left | orphan workers |"
        )
        print("|---|---|---|---|---|---|")
        for i, t in enumerate(trials):
            print(
                f"| {i} | {t['killed_with_documents_done']} of {args.docs} | {t['rerun_exit']} | "
                f"{t['identical']} | {len(t['parts_left'])} | {t['orphan_workers']} |"
            )
        print(f"\n{record['passed']} of {args.trials} trials pass (--jobs {args.jobs})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
