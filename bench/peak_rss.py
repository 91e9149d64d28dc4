"""Peak memory of a command and every process it starts, sampled from /proc.

    .venv/bin/python bench/peak_rss.py -- formocr scan big.pdf -o out.csv

``/usr/bin/time -v`` reports the largest single process; a batch with
worker processes needs the sum. The bars of issues 9 and 10 are read on
the RSS sum (the larger: PSS shares the libraries the workers both map).
A child caught between vfork and exec (a worker starting pdftoppm, once a
page) shows its parent's memory: it is not counted twice (``spawning``);
``peak_rss_mb_sum_raw`` counts it. Every ``--interval`` seconds this sums,
over the command's process tree, RSS and PSS (``/proc/PID/smaps_rollup``:
shared pages split between the processes that map them) and prints the
peaks, the wall time and the exit code as JSON on stdout. Linux only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree(pid: int) -> list[int]:
    return list(parents(pid))


def parents(pid: int) -> dict[int, int | None]:
    """Each process of the tree under ``pid`` (itself included) -> its parent."""
    todo: list[tuple[int, int | None]] = [(pid, None)]
    seen: dict[int, int | None] = {}
    while todo:
        p, parent = todo.pop()
        seen[p] = parent
        todo += [(c, p) for c in children(p)]
    return seen


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB; (0, 0) for a process that is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def spawning(up: dict[int, int | None], mem: dict[int, tuple[int, int]]) -> set[int]:
    """Children caught between vfork and exec: vfork (Python's subprocess uses
    it) lends them the parent's memory, so /proc shows the parent's RSS and
    PSS to the byte, while the parent waits. Counted once, with the parent."""
    return {c for c, p in up.items() if p is not None and mem[c][0] > 0 and mem[c] == mem.get(p)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--top", type=int, default=4, help="processes listed one by one")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give a command after --")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak_rss = peak_pss = peak_procs = 0
    largest: dict[str, int] = {}  # command name -> its peak RSS (KiB)
    by_pid: dict[int, tuple[str, int, int]] = {}  # pid -> name, peak RSS, peak PSS (KiB)
    peak_raw = 0
    while proc.poll() is None:
        up = parents(proc.pid)
        pids = list(up)
        sizes = [memory_kib(p) for p in pids]
        peak_raw = max(peak_raw, sum(r for r, _ in sizes))
        twice = spawning(up, dict(zip(pids, sizes, strict=True)))
        sizes = [(0, 0) if p in twice else m for p, m in zip(pids, sizes, strict=True)]
        for p, (rss, pss) in zip(pids, sizes, strict=True):
            name = name_of(p)
            largest[name] = max(largest.get(name, 0), rss)
            _, r, s = by_pid.get(p, (name, 0, 0))
            by_pid[p] = (name if p != proc.pid else "main", max(r, rss), max(s, pss))
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        peak_procs = max(peak_procs, len(pids))
        time.sleep(args.interval)
    result = {
        "command": cmd,
        "exit_code": proc.returncode,
        "wall_s": round(time.perf_counter() - t0, 1),
        "peak_rss_mb_sum": round(peak_rss / 1024, 1),
        "peak_pss_mb_sum": round(peak_pss / 1024, 1),
        # children between fork and exec counted with their parent's memory again
        "peak_rss_mb_sum_raw": round(peak_raw / 1024, 1),
        "peak_processes": peak_procs,
        "peak_rss_mb_by_name": {k: round(v / 1024, 1) for k, v in largest.items()},
        # the command and the largest other processes (a pool's workers), RSS / PSS
        "peak_mb_by_process": [
            [name, round(r / 1024, 1), round(s / 1024, 1)]
            for name, r, s in sorted(by_pid.values(), key=lambda v: (v[0] != "main", -v[1]))[
                : args.top
            ]
        ],
        "interval_s": args.interval,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
