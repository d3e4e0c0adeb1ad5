"""
C{python -m bench}: run the benchmark of issue 3 and report it.

    python -m bench [--quick] [--only W1,W2] [--seconds S] [--soak SECONDS]
                    [--out DIR] [--pg CONNINFO]

C{--only} takes workload ids (W1-W7) and the sections C{sweep} and C{mem}.
C{--quick} is the CI smoke run: tiny sizes, under a minute, and the exit
status says whether every workload ran (never how fast it was).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import react

from . import ROOT, _memory, _report
from ._context import Bench, Workload
from ._driver import PROBLEMS, stop_all
from ._settings import DEFAULT_PG, WORKLOADS, Settings, make_settings
from .workloads_point import sweep_w2, w1, w2, w7
from .workloads_read import w5, w6
from .workloads_write import sweep_w3, w3, w4

STEPS: list[tuple[str, Callable[[Bench], Awaitable[Any]]]] = [
    ("W1", w1),
    ("W2", w2),
    ("W3", w3),
    ("W4", w4),
    ("W5", w5),
    ("W6", w6),
    ("W7", w7),
]


def parse_args(argv: list[str]) -> Settings:
    """The command line as L{Settings}."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke run (< 60 s)")
    parser.add_argument("--only", help="comma-separated: W1..W7, sweep, mem")
    parser.add_argument("--seconds", type=float, help="length of one measurement")
    parser.add_argument("--soak", type=float, help="seconds of W2+W3 soak (0: none)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results", help="results dir"
    )
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL conninfo")
    args = parser.parse_args(argv)
    return make_settings(
        quick=args.quick,
        seconds=args.seconds,
        soak=args.soak,
        only=args.only,
        out=args.out,
        pg=args.pg,
    )


def progress(message: str) -> None:
    """One line of progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _step(bench: Bench, name: str, step: Callable[[], Awaitable[Any]]) -> Any:
    """Run one step; a crash is recorded, reported and does not stop the run."""
    started = time.perf_counter()
    progress(f"{name} ...")
    try:
        result = await step()
    except Exception as e:
        bench.failures.append(f"{name}: {type(e).__name__}: {e}")
        progress(f"{name} CRASHED:\n{traceback.format_exc()}")
        return None
    progress(f"{name} done in {time.perf_counter() - started:.1f} s")
    return result


async def _workloads(bench: Bench) -> None:
    for wid, step in STEPS:
        if not bench.settings.wants(wid):
            continue
        result = await _step(bench, wid, lambda step=step: step(bench))
        if result is None:
            crashed = Workload.make(
                wid, "-", None, None, notes=["crashed, see failures"]
            )
            bench.workloads.append(crashed)
            continue
        for workload in result if isinstance(result, list) else [result]:
            bench.workloads.append(workload)
            ratio = "-" if workload.ratio is None else f"{workload.ratio:.2f}"
            progress(f"  {workload.id}: ratio {ratio} ({workload.status})")


async def _sections(bench: Bench) -> None:
    s = bench.settings
    if s.wants("sweep"):
        for wid, sweep in (("W2", sweep_w2), ("W3", sweep_w3)):
            result = await _step(bench, f"{wid} sweep", lambda f=sweep: f(bench))
            if result is not None:
                bench.sweeps[wid] = result
    if s.wants("mem"):
        for key, case in (("queued", _memory.queued), ("paging", _memory.paging)):
            result = await _step(bench, f"memory {key}", lambda f=case: f(bench))
            if result is not None:
                bench.memory[key] = result
    if s.soak > 0:
        result = await _step(bench, f"soak {s.soak:g} s", lambda: _memory.soak(bench))
        if result is not None:
            bench.memory["soak"] = result


async def run(reactor: Any, settings: Settings) -> None:
    """The whole benchmark; exits non-zero if a workload could not run."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    started = time.perf_counter()
    digest = _report.source_digest()
    with tempfile.TemporaryDirectory(prefix="dbdriver-bench-") as tmp:
        bench = Bench(reactor, settings, Path(tmp))
        if bench.pg is None:
            progress(f"PostgreSQL anchors skipped: {bench.pg_skipped}")
        try:
            main = await bench.main_driver()
            bench.memory["idle"] = await _memory.idle(bench, main)
            await _workloads(bench)
            await _sections(bench)
        finally:
            await bench.shutdown()
        elapsed = time.perf_counter() - started
        _finish(bench, stamp, elapsed, digest)
    if bench.failures or any(w.status == "error" for w in bench.workloads):
        raise SystemExit(1)


def _finish(bench: Bench, stamp: str, elapsed: float, digest: str) -> None:
    """Plot, write the JSON, print the tables."""
    out = bench.settings.out
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stamp}.json"
    png_path = out / f"{stamp}.png"
    plot_skipped = None
    if bench.sweeps:
        try:
            plot_skipped = _report.plot(bench.sweeps, png_path)
        except Exception as e:
            plot_skipped = f"plot failed: {type(e).__name__}: {e}"
    else:
        plot_skipped = "no sweep measured"
    extra = {
        "started_utc": stamp,
        "elapsed_s": round(elapsed, 1),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "plot": None if plot_skipped else str(png_path),
        "plot_skipped": plot_skipped,
        "dbdriver_source_sha1_at_start": digest,
        "loadavg_start": bench.loadavg_start,
        "server_log_problems": PROBLEMS,
    }
    _report.write_json(bench, json_path, extra)
    info = _report.machine_info(bench)
    lines = [
        "",
        f"dbdriver benchmark {stamp} ({'quick' if bench.settings.quick else 'full'}"
        f" run, {elapsed:.0f} s; ratio = driver / anchor, higher is better;"
        " targets are informational)",
        *_report.machine_lines(info),
        "load average (1/5/15 min) at start {:.2f}/{:.2f}/{:.2f},"
        " at end {:.2f}/{:.2f}/{:.2f}".format(
            *bench.loadavg_start, *info["loadavg_end"]
        ),
    ]
    if bench.workloads:
        lines += ["", *_report.workload_lines(bench.workloads)]
    if bench.sweeps:
        lines += ["", "throughput (req/s) vs requests in flight"]
        lines += _report.sweep_lines(bench.sweeps)
    lines += ["", "driver memory (RSS)", *_report.memory_lines(bench.memory)]
    lines += ["", f"results: {json_path}"]
    lines.append(f"plot: {png_path}" if not plot_skipped else f"plot: {plot_skipped}")
    if info["dbdriver_source_sha1"] != digest:
        lines.append(
            "WARNING: dbdriver/ changed during the run (sources"
            f" {digest} -> {info['dbdriver_source_sha1']}): numbers mix versions"
        )
    lines += [f"server log: {p}" for p in PROBLEMS]
    lines += [f"FAILURE: {f}" for f in bench.failures]
    print("\n".join(lines), flush=True)


def main(argv: list[str]) -> None:
    """Entry point: parse, run on the reactor, stop leftover processes."""
    settings = parse_args(argv)
    names = ", ".join(w for w in WORKLOADS if settings.wants(w))
    progress(f"workloads: {names or 'none'}; {settings.seconds:g} s per measurement")
    try:
        react(lambda reactor: ensureDeferred(run(reactor, settings)))
    finally:
        stop_all()


if __name__ == "__main__":
    main(sys.argv[1:])
