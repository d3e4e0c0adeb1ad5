"""
A permutation runner in the manner of PostgreSQL's isolation tester.

A L{Spec} names 2-3 sessions, each an ordered list of named L{Step}s; a
permutation is one interleaving of all the steps that keeps each session's
order. L{run_permutation} plays one against a real driver process, one
socket connection per session, one request in flight per session:

 - a step whose answer does not come within L{GRACE} seconds is I{waiting}
   (blocked); the runner goes on with the other sessions' steps, and after
   each later step it gives the waiting ones up to L{GRACE} to complete;
 - the next step of a session that is still waiting first waits for that
   step's answer (up to L{LONG}): the step then completes with whatever the
   database says after its lock wait (C{busy} at the busy timeout);
 - after the last step, every waiting step is waited for, the sessions are
   closed, and the table's final rows are read on a connection of their own.

The outcome is one line: the events in order, then C{=>} and the final rows,
e.g. C{b1 u1:1 b2 u2:waiting c1 u2:1 c2 => 1:2}. An event is the step's name
alone when it answered C{ok} (C{true}, a transaction or cursor id) at once,
C{name:result} otherwise (an error is its code), C{name:waiting} when it
blocked, and C{name:result} again when a blocked step completes (C{ok}
spelled out). Several blocked steps completing in one wait are listed in
permutation order.
"""

from __future__ import annotations

import itertools
import os
import select
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload

__all__ = [
    "GRACE",
    "LONG",
    "TABLE",
    "Spec",
    "Step",
    "interleavings",
    "render",
    "reset",
    "run_permutation",
]

#: Seconds a step may take before it counts as waiting.
GRACE = float(os.environ.get("DBDRIVER_ISOLATION_GRACE", "0.3"))
#: Seconds the runner waits at most for a waiting step it must have.
LONG = 15.0
#: The one table every spec works on: C{t(id integer primary key, v integer)}.
TABLE = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "v", "type": "integer"},
    ],
}
#: Methods that run inside the session's open transaction, if any.
_IN_TRANSACTION = frozenset(
    {"select", "count", "insert", "insert_many", "update", "delete", "execute"}
)


@dataclass(frozen=True)
class Step:
    """
    One step of a session: a protocol request, or C{disconnect} (close the
    session's socket), or C{sleep} (the session stays idle C{seconds}).

    @ivar timeout: the request's own deadline (the protocol's C{timeout}).
    @ivar outside: send it without the session's open transaction.
    """

    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    seconds: float = 0.0
    outside: bool = False


@dataclass(frozen=True)
class Spec:
    """
    Sessions, the rows the table starts with, and the expected outcome of
    each permutation.

    @ivar sessions: session name -> its steps in order, step names unique
        across the spec.
    @ivar rows: the table's rows (id, v) before each permutation.
    @ivar expected: permutation (step names, space separated) -> its
        outcome line, or a map backend -> outcome line, where a key may
        list backends separated by commas and C{"*"} is any other backend.
    @ivar permutations: the permutations to run; C{None}: all interleavings.
    @ivar options: more driver options for this spec.
    """

    name: str
    sessions: Mapping[str, Sequence[tuple[str, Step]]]
    rows: Sequence[tuple[int, int]]
    expected: Mapping[str, str | Mapping[str, str]]
    permutations: Sequence[str] | None = None
    options: tuple[str, ...] = ()

    def steps(self) -> dict[str, tuple[str, Step]]:
        """Step name -> (its session, the step)."""
        return {
            name: (session, step)
            for session, steps in self.sessions.items()
            for name, step in steps
        }

    def all_permutations(self) -> list[str]:
        """The permutations this spec runs."""
        if self.permutations is not None:
            return list(self.permutations)
        names = [[name for name, _ in steps] for steps in self.sessions.values()]
        return [" ".join(p) for p in interleavings(names)]

    def expected_for(self, permutation: str, backend: str) -> str:
        """The outcome line C{permutation} must give on C{backend}."""
        outcome = self.expected[permutation]
        if isinstance(outcome, str):
            return outcome
        for backends, line in outcome.items():
            if backend in backends.split(","):
                return line
        return outcome["*"]


def interleavings(sequences: Sequence[Sequence[str]]) -> Iterator[list[str]]:
    """Every merge of C{sequences} that keeps each one's order."""
    live = [s for s in sequences if s]
    if not live:
        yield []
        return
    for index, sequence in enumerate(live):
        rest = [*live[:index], sequence[1:], *live[index + 1 :]]
        for tail in interleavings(rest):
            yield [sequence[0], *tail]


class Connection:
    """
    A blocking protocol peer: one socket, requests sent one at a time,
    answers read with a deadline.
    """

    def __init__(self, path: str) -> None:
        self.socket = socket.socket(socket.AF_UNIX)
        self.socket.connect(path)
        self.buffer = b""
        self.ids = itertools.count(1)
        self.pending: int | None = None

    def fileno(self) -> int:
        return self.socket.fileno()

    def send(self, method: str, params: Mapping[str, Any], **top: Any) -> None:
        self.pending = next(self.ids)
        message = {"id": self.pending, "method": method, "params": dict(params)}
        message.update({k: v for k, v in top.items() if v is not None})
        payload = encode(message)
        self.socket.sendall(b"%d:%s," % (len(payload), payload))

    def answer(self, timeout: float) -> dict[str, Any] | None:
        """The pending request's answer, or C{None} if none came in time."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is not None and frame.get("id") == self.pending:
                self.pending = None
                return frame
            if frame is not None:
                continue
            left = max(0.0, deadline - time.monotonic())
            if not select.select([self.socket], [], [], left)[0]:
                return None
            data = self.socket.recv(1 << 16)
            if not data:
                raise ConnectionError("the driver closed the connection")
            self.buffer += data

    def _frame(self) -> dict[str, Any] | None:
        head, colon, rest = self.buffer.partition(b":")
        if not colon or len(rest) < int(head) + 1:
            return None
        size = int(head)
        self.buffer = rest[size + 1 :]
        frame = decode_payload(rest[:size])
        assert isinstance(frame, dict), frame
        return frame

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """One request and its result; a protocol error raises."""
        self.send(method, params or {})
        frame = self.answer(LONG)
        if frame is None or "error" in frame:
            raise AssertionError(f"{method}: {frame!r}")
        return frame["result"]

    def close(self) -> None:
        self.socket.close()


class Session:
    """
    One session of a spec: its connection, its open transaction and cursor.
    """

    def __init__(self, path: str) -> None:
        self.connection = Connection(path)
        self.transaction: str | None = None
        self.cursor: str | None = None
        self.step: tuple[str, Step] | None = None

    def send(self, name: str, step: Step) -> None:
        params = dict(step.params)
        transaction = None
        if step.method in ("commit_transaction", "rollback_transaction"):
            params["transaction_id"] = self.transaction or "none"
        elif step.method == "fetch":
            params["cursor_id"] = self.cursor or "none"
        elif step.method in _IN_TRANSACTION or step.method == "open_cursor":
            transaction = None if step.outside else self.transaction
        self.step = (name, step)
        self.connection.send(
            step.method, params, timeout=step.timeout, transaction_id=transaction
        )

    def answer(self, timeout: float) -> str | None:
        """The pending step's rendered answer, or C{None} (still waiting)."""
        frame = self.connection.answer(timeout)
        if frame is None:
            return None
        assert self.step is not None
        method = self.step[1].method
        if "error" in frame:
            if method in ("commit_transaction", "rollback_transaction"):
                self.transaction = None
            return str(frame["error"]["code"])
        result = frame["result"]
        if method == "begin_transaction":
            self.transaction, result = result, True
        elif method == "open_cursor":
            self.cursor, result = result, True
        elif method in ("commit_transaction", "rollback_transaction"):
            self.transaction = None
        return render(result)

    def fileno(self) -> int:
        return self.connection.fileno()


def render(value: Any) -> str:
    """A result in the outcome line's notation."""
    if value is True:
        return "ok"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        if set(value) == {"rows", "done"}:
            return render(value["rows"]) + ("" if value["done"] else "+")
        if len(value) == 1:
            return render(next(iter(value.values())))
        return "(" + ",".join(render(v) for v in value.values()) + ")"
    return repr(value)


def settled(setup: Connection) -> None:
    """Wait until the driver has no transaction open (closed sessions')."""
    deadline = time.monotonic() + LONG
    while setup.call("stats")["transactions_open"]:
        if time.monotonic() > deadline:
            raise AssertionError("transactions still open after the sessions closed")
        time.sleep(0.02)


def reset(setup: Connection, rows: Sequence[tuple[int, int]]) -> None:
    """
    Wait for the last permutation's transactions to end, then give the
    table exactly C{rows}.
    """
    settled(setup)
    operations: list[dict[str, Any]] = [
        {"method": "delete", "params": {"table": "t", "all_rows": True}}
    ]
    if rows:
        data = [{"id": i, "v": v} for i, v in rows]
        operations.append(
            {"method": "insert_many", "params": {"table": "t", "rows": data}}
        )
    setup.call("transaction", {"operations": operations})


def final_rows(setup: Connection) -> str:
    """The table's rows as C{id:v,...}."""
    settled(setup)
    rows = setup.call("select", {"table": "t", "order_by": ["id"]})
    return ",".join(f"{row['id']}:{row['v']}" for row in rows) or "-"


def run_permutation(spec: Spec, permutation: str, path: str, setup: Connection) -> str:
    """
    Play C{permutation} of C{spec} against the driver listening on C{path};
    its outcome line. C{setup} is a connection of the runner's own.
    """
    reset(setup, spec.rows)
    steps = spec.steps()
    order = permutation.split()
    sessions = {name: Session(path) for name in spec.sessions}
    waiting: dict[str, str] = {}  # session -> its waiting step
    events: list[str] = []

    def collect(timeout: float, skip: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        done: list[tuple[int, str]] = []
        while any(s != skip for s in waiting):
            ready = [sessions[s] for s in waiting if s != skip]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select(ready, [], [], left)[0]:
                break
            for name in [s for s in waiting if s != skip]:
                answer = sessions[name].answer(0)
                if answer is not None:
                    step = waiting.pop(name)
                    done.append((order.index(step), f"{step}:{answer}"))
        events.extend(line for _, line in sorted(done))

    try:
        for name in order:
            owner, step = steps[name]
            session = sessions[owner]
            if owner in waiting:
                collect_one(session, owner, waiting, events)
            if step.method == "sleep":
                time.sleep(step.seconds)
                events.append(name)
            elif step.method == "disconnect":
                session.connection.close()
                events.append(name)
            else:
                session.send(name, step)
                answer = session.answer(GRACE)
                if answer is None:
                    waiting[owner] = name
                    events.append(f"{name}:waiting")
                else:
                    events.append(name if answer == "ok" else f"{name}:{answer}")
            if any(s != owner for s in waiting):
                collect(GRACE, skip=owner)
        collect(LONG)
        if waiting:
            events.extend(f"{step}:stuck" for step in waiting.values())
    finally:
        for session in sessions.values():
            session.connection.close()
    return " ".join(events) + " => " + final_rows(setup)


def collect_one(
    session: Session, owner: str, waiting: dict[str, str], events: list[str]
) -> None:
    """Wait for C{owner}'s waiting step before its next one."""
    answer = session.answer(LONG)
    step = waiting.pop(owner)
    events.append(f"{step}:{'stuck' if answer is None else answer}")
