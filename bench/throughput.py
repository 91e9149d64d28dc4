"""Throughput: pages per second with --jobs 1 and 2, and on a 2-worker Dask cluster.

    .venv/bin/python bench/throughput.py                      # all of it
    .venv/bin/python bench/throughput.py --parts local --repeats 1   # a quick look

On ``--pages`` dense forms (bench/speed.py's generator: 28 boxes, ~140
digits a page, 300 dpi), alternating runs, medians:

* ``formocr scan dense.pdf --jobs 1`` and ``--jobs 2`` (the real CLI as a
  subprocess: start-up, pool and model loading included): wall, CPU
  (user + sys of the process tree) and pages per second; the two outputs
  must be byte-identical;
* a Dask cluster on loopback started as a user would (``dask scheduler``,
  then ``dask worker --nthreads 1``): ``formocr scan --scheduler`` with one
  worker, then with two; the output must equal the local one. Then a run in
  which one worker process is killed (SIGKILL) mid-run: the output must
  still equal the local one, every row once;
* peak memory of ``--jobs 2`` over the same pages repeated to ``--rss-pages``
  (qpdf), and over 100 pages for comparison: the sum of the RSS of every
  process of the run (main, workers, pdftoppm), sampled every 0.2 s.

Writes bench/out/throughput.json. Under contention (the load average is
recorded at start and end) the figures say so.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from benchlib import OUT, byte_compile_formocr, md_table, publish, run_record
from speed import formocr_cli, make_dense_pdf, measure

DPI = 300


def scan(pdf: Path, out: Path, *extra: str) -> dict[str, float]:
    return measure([*formocr_cli(), "scan", str(pdf), "-o", str(out), "--no-state", *extra])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dask_exe() -> str:
    exe = Path(sys.executable).with_name("dask")
    if not exe.exists():
        raise SystemExit("needs the dask extra: pip install 'formocr[dask]'")
    return str(exe)


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on loopback, as a user starts them."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._start("scheduler", [dask_exe(), "scheduler", "--host", "127.0.0.1"]
                    + ["--port", str(self.port), "--no-dashboard"])  # fmt: skip

    def _start(self, name: str, cmd: list[str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True))

    def add_worker(self) -> None:
        n = len(self.procs)
        self._start(f"worker{n}", [dask_exe(), "worker", self.address, "--nthreads", "1"]
                    + ["--no-dashboard", "--host", "127.0.0.1"])  # fmt: skip
        self.wait_workers(n)

    def wait_workers(self, n: int, timeout: float = 300) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout) as c:
            c.wait_for_workers(n, timeout=timeout)

    def worker_processes(self) -> list[psutil.Process]:
        """The worker processes proper (children of each ``dask worker``'s nanny)."""
        out = []
        for p in self.procs[1:]:
            with contextlib.suppress(psutil.Error):
                out += psutil.Process(p.pid).children(recursive=False)
        return out

    def close(self) -> None:
        for p in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@contextlib.contextmanager
def cluster(log_dir: Path) -> Iterator[Cluster]:
    c = Cluster(log_dir)
    try:
        yield c
    finally:
        c.close()


def peak_tree_rss(cmd: list[str], interval: float = 0.2) -> dict[str, float]:
    """Run ``cmd``; the peak of the summed RSS of it and all its descendants (MB)."""
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, peak_procs = 0, 0
    while proc.poll() is None:
        total, n = 0, 0
        with contextlib.suppress(psutil.Error):
            for p in [proc, *proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
                    n += 1
        if total > peak:
            peak, peak_procs = total, n
        time.sleep(interval)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}: {err[-2000:]}")
    return {
        "wall_s": time.perf_counter() - t0,
        "peak_tree_rss_mb": peak / 2**20,
        "processes_at_peak": peak_procs,
    }


def repeat_pdf(src: Path, pages: int, dst: Path) -> Path:
    """``src`` repeated to ``pages`` pages (qpdf)."""
    if dst.exists():
        return dst
    n = -(-pages // int(_pages_of(src)))
    subprocess.run(["qpdf", "--empty", "--pages", *[str(src)] * n, "--", str(dst)], check=True)
    tmp = dst.with_suffix(".cut.pdf")
    subprocess.run(
        ["qpdf", str(dst), "--pages", str(dst), f"1-{pages}", "--", str(tmp)], check=True
    )
    os.replace(tmp, dst)
    return dst


def _pages_of(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


def median_of(runs: list[dict[str, float]], pages: int) -> dict[str, float]:
    wall = statistics.median(r["wall_s"] for r in runs)
    return {
        "wall_s": wall,
        "cpu_s": statistics.median(r.get("cpu_s", 0.0) for r in runs),
        "pages_per_s": pages / wall,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--rss-pages", type=int, default=500)
    ap.add_argument(
        "--parts",
        default="local,dask,rss",
        help="comma-separated: local (--jobs 1/2), dask, rss (memory); default all",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    byte_compile_formocr()  # time formocr as installed (see benchlib)
    record = run_record("throughput.py")
    work = args.out / "throughput"
    work.mkdir(parents=True, exist_ok=True)
    pdf = work / f"dense{args.pages}.pdf"
    if not pdf.exists():
        make_dense_pdf(pdf, args.pages, args.seed)
    n = args.pages
    results: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="throughput-"))
    try:
        # -- --jobs 1 against --jobs 2 -------------------------------------------------
        reps = args.repeats if "local" in parts else int("dask" in parts)
        local: dict[str, list[dict[str, float]]] = {"jobs1": [], "jobs2": []}
        for r in range(reps):
            for jobs in (1, 2) if "local" in parts else (1,):
                out = tmp / f"jobs{jobs}_{r}.csv"
                local[f"jobs{jobs}"].append(scan(pdf, out, "--jobs", str(jobs)))
                print(f"repeat {r + 1} --jobs {jobs}: {local[f'jobs{jobs}'][-1]}", file=sys.stderr)
        reference = (tmp / "jobs1_0.csv").read_text() if reps else ""  # what the others give
        if "local" in parts:
            same = all((tmp / f"jobs2_{r}.csv").read_text() == reference for r in range(reps))
            results["local"] = {k: median_of(v, n) for k, v in local.items()}
            results["local_runs"] = local
            results["jobs2_output_identical"] = same
        # -- a Dask cluster on loopback ---------------------------------------------------
        if "dask" in parts:
            results["dask"] = dask_runs(pdf, n, args.repeats, tmp, reference, work)
        # -- memory over many pages ----------------------------------------------------------
        if "rss" in parts:
            rss = {}
            for pages in (args.pages, 100, args.rss_pages):
                big = repeat_pdf(pdf, pages, work / f"dense_x{pages}.pdf")
                cmd = [*formocr_cli(), "scan", str(big), "-o", str(tmp / f"rss{pages}.csv")]
                rss[str(pages)] = peak_tree_rss([*cmd, "--no-state", "--jobs", "2"])
                print(f"--jobs 2 over {pages} pages: {rss[str(pages)]}", file=sys.stderr)
            results["rss_jobs2"] = rss
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    record.update(
        {
            "params": vars(args) | {"out": str(args.out), "dpi": DPI},
            "commands": {
                "local": "formocr scan dense.pdf -o OUT.csv --no-state --jobs {1,2}",
                "dask": "dask scheduler; dask worker ADDRESS --nthreads 1 (x1, x2); "
                "formocr scan dense.pdf -o OUT.csv --no-state --scheduler ADDRESS",
                "rss": "formocr scan denseN.pdf -o OUT.csv --no-state --jobs 2",
            },
            "results": results,
        }
    )
    name = (
        "throughput"
        if parts >= {"local", "dask", "rss"}
        else "throughput_" + "_".join(sorted(parts))
    )
    publish(record, args.out / f"{name}.json", render)
    return 0


def dask_runs(
    pdf: Path, n: int, repeats: int, tmp: Path, reference: str, work: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cluster(work) as c:
        for workers in (1, 2):
            c.add_worker()
            extra = ("--scheduler", c.address)
            scan(pdf, tmp / "warm.csv", *extra)  # the plugin loads the models once
            runs = [scan(pdf, tmp / f"dask{workers}_{r}.csv", *extra) for r in range(repeats)]
            same = all(
                (tmp / f"dask{workers}_{r}.csv").read_text() == reference for r in range(repeats)
            )
            out[f"workers{workers}"] = median_of(runs, n) | {"output_identical": same}
            out[f"workers{workers}_runs"] = runs
            print(f"dask, {workers} worker(s): {out[f'workers{workers}']}", file=sys.stderr)
        # Half-way through a run as long as the measured ones (a fixed 8 s came
        # after the end of a 6.4-s run on 2026-12-02: nothing was killed).
        delay = 0.5 * out["workers2"]["wall_s"]
        out["killed_worker"] = kill_mid_run(c, pdf, tmp, reference, delay)
    return out


def kill_mid_run(c: Cluster, pdf: Path, tmp: Path, reference: str, delay: float) -> dict[str, Any]:
    """SIGKILL one worker process ``delay`` seconds into the run (models loaded,
    pages out); the output must be whole."""
    target = tmp / "killed.csv"
    cmd = [*formocr_cli(), "scan", str(pdf), "-o", str(target), "--no-state"]
    proc = subprocess.Popen([*cmd, "--scheduler", c.address], stderr=subprocess.PIPE)
    killed: list[int] = []

    def killer() -> None:
        time.sleep(delay)
        victims = c.worker_processes()
        if victims and proc.poll() is None:
            victims[0].kill()
            killed.append(victims[0].pid)

    t = threading.Thread(target=killer)
    t.start()
    _, err = proc.communicate()
    t.join()
    text = target.read_text() if target.exists() else ""
    rows = text.splitlines()
    return {
        "killed_pid": killed[0] if killed else None,
        "kill_after_s": delay,
        "exit_code": proc.returncode,
        "output_identical": text == reference,
        "rows": len(rows),
        "distinct_rows": len(set(rows)),
        "stderr_tail": err.decode("utf-8", "replace")[-500:],
    }


def render(record: dict[str, Any]) -> str:
    res, p = record["results"], record["params"]
    rows = []
    if "local" in res:
        loc = res["local"]
        rows += [
            ["`--jobs 1`", f"{loc['jobs1']['wall_s']:.1f} s", f"{loc['jobs1']['cpu_s']:.1f} s",
             f"{loc['jobs1']['pages_per_s']:.2f}", "1.00x"],
            ["`--jobs 2`", f"{loc['jobs2']['wall_s']:.1f} s", f"{loc['jobs2']['cpu_s']:.1f} s",
             f"{loc['jobs2']['pages_per_s']:.2f}",
             f"{loc['jobs2']['pages_per_s'] / loc['jobs1']['pages_per_s']:.2f}x"],
        ]  # fmt: skip
    lines = [
        f"{p['pages']}-page {p['dpi']}-dpi PDF of dense forms, {p['repeats']} alternating "
        f"repetitions, medians; load average at start {record['machine'].get('loadavg_1_5_15')}, "
        f"at end {record['machine'].get('loadavg_at_end')}.",
        "",
    ]
    if "dask" in res:
        d = res["dask"]
        for w in (1, 2):
            x = d[f"workers{w}"]
            rows.append(
                [f"Dask, {w} worker(s)", f"{x['wall_s']:.1f} s", "-",
                 f"{x['pages_per_s']:.2f}",
                 f"{x['pages_per_s'] / d['workers1']['pages_per_s']:.2f}x of 1 worker"]
            )  # fmt: skip
    if rows:
        lines.append(md_table(["run", "wall", "CPU (user+sys)", "pages/s", "rate"], rows))
        lines.append("")
    if "local" in res:
        lines.append(f"`--jobs 2` output identical to `--jobs 1`: {res['jobs2_output_identical']}.")
    if "dask" in res:
        d = res["dask"]
        k = d["killed_worker"]
        lines.append(
            f"Dask output identical to the local one: 1 worker {d['workers1']['output_identical']}, "
            f"2 workers {d['workers2']['output_identical']}; "
            + (
                f"a worker killed {k.get('kill_after_s', 8):.1f} s into the run "
                f"(pid {k['killed_pid']})"
                if k["killed_pid"]
                else "no worker killed (the run ended first)"
            )
            + f": exit {k['exit_code']}, output identical "
            f"{k['output_identical']}, {k['rows']} rows, {k['distinct_rows']} distinct."
        )
    if "rss_jobs2" in res:
        lines.append(
            "Peak RSS of `--jobs 2`, every process of the run summed: "
            + ", ".join(
                f"{pages} pages {v['peak_tree_rss_mb']:.0f} MB ({v['processes_at_peak']} processes)"
                for pages, v in res["rss_jobs2"].items()
            )
            + "."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
