"""
The results: machine information, the printed tables, the JSON file and
the PNG plot of throughput against requests in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs

from . import ROOT
from ._context import Bench, Workload
from ._settings import MEMORY_TARGET_MB


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _proc_field(path: str, key: str) -> str | None:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def source_digest() -> str:
    """SHA-1 of the dbdriver sources measured (the tree may differ from HEAD)."""
    digest = hashlib.sha1()
    for path in sorted((ROOT / "dbdriver").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info(bench: Bench) -> dict[str, Any]:
    """What the numbers were measured on."""
    import cbor2

    dirty = _git("status", "--porcelain", "--", "dbdriver")
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory_total": _proc_field("/proc/meminfo", "MemTotal"),
        "platform": platform.platform(),
        "loadavg_end": os.getloadavg(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": bench.pg.info if bench.pg is not None else None,
        "postgresql_skipped": bench.pg_skipped,
        "cbor2": _version("cbor2"),
        "cbor2_c_extension": type(cbor2.dumps).__name__ == "builtin_function_or_method",
        "cbor2_dumps_module": cbor2.dumps.__module__,
        "twisted": _version("twisted"),
        "psycopg": _version("psycopg"),
        "dbdriver": _version("dbdriver"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "dbdriver_tree_modified": bool(dirty) if dirty is not None else None,
        "dbdriver_source_sha1": source_digest(),
    }


def _rate(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "runs/s":
        return f"{1.0 / value:.2f} s" if value else "-"
    short = unit.removesuffix("/s")
    return f"{value:,.0f} {short}/s"


def _lat(side: Any) -> str:
    if side is None or not side.latency_ms.get("n"):
        return "-"
    lat = side.latency_ms
    return f"{lat['p50']:.3f} / {lat['p95']:.3f} / {lat['p99']:.3f}"


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.ljust(w) if i < 2 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return [_row(header, widths), rule, *(_row(r, widths) for r in rows)]


def workload_lines(workloads: list[Workload]) -> list[str]:
    """Throughput, ratio and result per workload, then latencies and CPU."""
    rows, lat_rows = [], []
    for w in workloads:
        ratio = "-" if w.ratio is None else f"{w.ratio:.2f}"
        rows.append([
            w.id, w.title,
            _rate(w.driver.throughput if w.driver else None, w.unit),
            _rate(w.anchor.throughput if w.anchor else None, w.unit),
            ratio, f">= {w.target:g}", w.status,
        ])  # fmt: skip
        cpu = w.driver.cpu if w.driver else {}
        lat_rows.append([
            w.id, w.anchor.name if w.anchor else "(anchor skipped)",
            _lat(w.driver), _lat(w.anchor),
            f"{cpu.get('driver', 0):.0f}%", f"{cpu.get('bench', 0):.0f}%",
        ])  # fmt: skip
    lines = _table(
        ["id", "workload", "driver", "anchor", "ratio", "target", "result"], rows
    )
    lines += ["", *_table(
        ["id", "anchor", "driver p50/p95/p99 ms", "anchor p50/p95/p99 ms",
         "drv CPU", "bench CPU"],
        lat_rows,
    )]  # fmt: skip
    for w in workloads:
        for side in (w.driver, w.anchor):
            if side is not None and side.errors:
                lines.append(f"{w.id} {side.name}: {side.errors} errors, first: "
                             f"{side.first_error}")  # fmt: skip
        lines += [f"{w.id}: {note}" for note in w.notes]
        if w.anchor is None and w.anchor_skipped:
            lines.append(f"{w.id}: anchor skipped: {w.anchor_skipped}")
    return lines


def sweep_lines(sweeps: dict[str, Any]) -> list[str]:
    """Throughput (req/s) per requests in flight."""
    if not sweeps:
        return []
    flights = next(iter(sweeps.values()))["in_flight"]
    rows = []
    for wid, sweep in sweeps.items():
        rows.append([f"{wid} driver", sweep["driver_name"],
                     *(f"{v:,.0f}" for v in sweep["driver"])])  # fmt: skip
        anchor = sweep["anchor"] or ["-"] * len(flights)
        rows.append([f"{wid} anchor", sweep["anchor_name"],
                     *(v if v == "-" else f"{v:,.0f}" for v in anchor)])  # fmt: skip
    return _table(["series", "", *map(str, flights)], rows)


def memory_lines(memory: dict[str, Any]) -> list[str]:
    """Peak RSS per case against the target; the soak's trend."""
    names = {
        "idle": "idle (fresh driver)",
        "under_W2": "under W2 (64 in flight)",
        "under_W3": "under W3 (8 clients)",
        "queued": "requests queued",
        "paging": "paging a large table",
        "soak": "soak W2+W3",
    }
    rows = []
    for key, label in names.items():
        case = memory.get(key)
        if case is None:
            continue
        if key == "queued":
            depth = case["queue_max_depth"]
            label = f"{case['requests']:,} requests queued (max depth {depth:,})"
        if key == "paging":
            label = f"paging {case['rows']:,} rows by {case['page_size']:,}"
        if key == "soak":
            label = f"soak W2+W3 {case['seconds']:g} s"
        rows.append([
            key, label, f"{case['rss_max_mb']:.1f}", f"{case['hwm_mb']:.1f}",
            f"< {MEMORY_TARGET_MB:g}", case["status"],
        ])  # fmt: skip
    lines = _table(["case", "", "max RSS MB", "VmHWM MB", "target", "result"], rows)
    soak = memory.get("soak")
    if soak is not None:
        lines.append(
            f"soak RSS first {soak['rss_first_mb']} MB, last {soak['rss_last_mb']} MB,"
            f" max {soak['rss_max_mb']} MB; first-window avg"
            f" {soak.get('first_window_avg_mb')} MB, last-window avg"
            f" {soak.get('last_window_avg_mb')} MB ({soak.get('growth_pct')}%):"
            f" {_trend(soak.get('flat'))}"
        )
        lines.append(
            f"soak load: W2 {soak['w2']['throughput']:,.0f} req/s"
            f" ({soak['w2']['errors']} errors), W3 {soak['w3']['throughput']:,.0f}"
            f" req/s ({soak['w3']['errors']} errors), at the same time"
        )
    for key in ("queued", "paging"):
        if memory.get(key, {}).get("error"):
            lines.append(f"{key}: {memory[key]['error']}")
    return lines


def _trend(flat: bool | None) -> str:
    return "n/a" if flat is None else "flat" if flat else "GROWING"


def plot(sweeps: dict[str, Any], path: Path) -> str | None:
    """Throughput vs requests in flight to C{path}; why not, if it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        return f"matplotlib is not importable ({e}); no plot"
    fig, axes = plt.subplots(1, len(sweeps), figsize=(6 * len(sweeps), 4.5))
    axes = [axes] if len(sweeps) == 1 else list(axes)
    for ax, (wid, sweep) in zip(axes, sweeps.items(), strict=True):
        x = sweep["in_flight"]
        ax.plot(x, sweep["driver"], "o-", label=sweep["driver_name"])
        if sweep["anchor"]:
            ax.plot(x[: len(sweep["anchor"])], sweep["anchor"], "s--",
                    label=sweep["anchor_name"])  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [str(v) for v in x])
        ax.set_xlabel("requests in flight")
        ax.set_ylabel("requests / s")
        ax.set_title(f"{wid}: throughput vs in flight")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write_json(bench: Bench, path: Path, extra: dict[str, Any]) -> None:
    """Everything measured, as JSON."""
    document = {
        **extra,
        "machine": machine_info(bench),
        "settings": {
            k: sorted(v) if isinstance(v, frozenset) else v
            for k, v in attrs.asdict(bench.settings, recurse=False).items()
        },
        "workloads": [attrs.asdict(w) for w in bench.workloads],
        "sweeps": bench.sweeps,
        "memory": bench.memory,
        "failures": bench.failures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def machine_lines(info: dict[str, Any]) -> list[str]:
    """A two-line summary of the machine."""
    pg = info["postgresql"]
    pg_text = (
        f"PostgreSQL {pg['server_version']} (fsync={pg['fsync']},"
        f" synchronous_commit={pg['synchronous_commit']})"
        if pg
        else "PostgreSQL: anchors skipped"
    )
    return [
        f"machine: {info['cores']} cores, {info['cpu_model']}, {info['memory_total']}",
        f"Python {info['python']}, SQLite {info['sqlite']}, {pg_text},"
        f" cbor2 {info['cbor2']} (C extension: {info['cbor2_c_extension']}),"
        f" Twisted {info['twisted']}, commit {info['git_commit']}"
        f"{' + modified dbdriver/' if info['dbdriver_tree_modified'] else ''}"
        f" (sources {info['dbdriver_source_sha1']})",
    ]
