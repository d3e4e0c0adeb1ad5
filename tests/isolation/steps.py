"""
The steps specs are written with: one function per kind of step, each a
L{Step} on the table C{t(id, v)}.
"""

from __future__ import annotations

from typing import Any

from tests.isolation.runner import Step

__all__ = [
    "batch",
    "begin",
    "commit",
    "disconnect",
    "fetch",
    "insert",
    "open_cursor",
    "outcomes",
    "read",
    "rollback",
    "sleep",
    "update",
]


def begin() -> Step:
    """C{begin_transaction}: later steps of the session run inside it."""
    return Step("begin_transaction")


def commit() -> Step:
    return Step("commit_transaction")


def rollback() -> Step:
    return Step("rollback_transaction")


def read(outside: bool = False) -> Step:
    """Every row's C{v}, in C{id} order."""
    return Step("select", _READ, outside=outside)


def update(id: int, v: int, timeout: float | None = None) -> Step:
    """Set row C{id}'s C{v}; answers the rows changed."""
    return Step(
        "update", {"table": "t", "where": {"id": id}, "data": {"v": v}}, timeout
    )


def insert(id: int, v: int) -> Step:
    """Insert the row; answers its id."""
    return Step("insert", {"table": "t", "data": {"id": id, "v": v}})


def batch(*steps: Step) -> Step:
    """One C{transaction} request of C{steps} (one round trip, all or none)."""
    operations: list[dict[str, Any]] = [
        {"method": s.method, "params": dict(s.params)} for s in steps
    ]
    return Step("transaction", {"operations": operations})


def open_cursor() -> Step:
    """A cursor over every row's C{v}, in C{id} order."""
    return Step("open_cursor", _READ)


def fetch(size: int) -> Step:
    """The session's cursor's next C{size} rows (C{+}: more to come)."""
    return Step("fetch", {"size": size})


def disconnect() -> Step:
    """Close the session's socket (its transaction is rolled back)."""
    return Step("disconnect")


def sleep(seconds: float) -> Step:
    """The session stays idle C{seconds}."""
    return Step("sleep", seconds=seconds)


_READ = {"table": "t", "columns": ["v"], "order_by": ["id"]}


def outcomes(text: str) -> dict[str, str | dict[str, str]]:
    """
    A spec's expected outcomes written as a table: a permutation on a line
    of its own, then its outcome line indented by 4; where backends differ,
    one outcome per backend, each after C{[backends]} (a comma list, or
    C{*} for any other backend). A line indented by 8 continues the one
    before it.
    """
    table: dict[str, str | dict[str, str]] = {}
    lines: list[tuple[str, str]] = []  # (permutation, outcome text)
    permutation = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            permutation = line.strip()
        elif line.startswith(" " * 8):
            lines[-1] = (permutation, lines[-1][1] + " " + line.strip())
        else:
            lines.append((permutation, line.strip()))
    for permutation, outcome in lines:
        if not outcome.startswith("["):
            table[permutation] = outcome
            continue
        backends, _, line = outcome[1:].partition("] ")
        entry = table.setdefault(permutation, {})
        assert isinstance(entry, dict), permutation
        entry[backends] = line
    return table
