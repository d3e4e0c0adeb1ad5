"""
Twenty C{kill -9}s of the supervised driver in a row while a client writes
all the time: every call gets an answer (a result, or C{connection_lost}
for the ones in flight), every acknowledged write is in the database, and
the client is serving again after each restart.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater

from dbdriver import ConnectionLost
from dbdriver.supervisor import RestartPolicy
from tests.supervisor.test_process import alive, until

T = {"name": "t", "columns": [{"name": "n", "type": "integer", "primary_key": True}]}
KILLS = 20


@pytest_twisted.ensureDeferred
async def test_twenty_kills_lose_no_acknowledged_write(
    supervised: Any, tmp_path: Path
) -> None:
    process = supervised(policy=RestartPolicy(initial=0.05, maximum=0.2))
    await process.whenReady()
    client = await process.client(timeout=20)
    await client.create_table(T)
    acknowledged: list[int] = []
    maybe: list[int] = []
    answered = 0
    sent = 0
    writing = True

    async def write() -> None:
        nonlocal answered, sent
        n = 0
        while writing:
            n += 1
            sent += 1
            try:
                await client.insert("t", {"n": n}, on_conflict="ignore")
            except ConnectionLost:
                maybe.append(n)
            else:
                acknowledged.append(n)
            answered += 1

    writer = ensureDeferred(write())
    for _ in range(KILLS):
        before = len(acknowledged)
        await until(lambda b=before: len(acknowledged) > b + 5, timeout=20)
        pid = process.pid
        os.kill(pid, signal.SIGKILL)
        await until(lambda p=pid: process.pid not in (None, p), timeout=20)
        await until(lambda p=pid: not alive(p), timeout=5)
    writing = False
    await writer
    assert answered == sent  # no call left without an answer
    assert process.restarts == KILLS
    assert await client.count("t") >= len(acknowledged)
    await deferLater(reactor, 0, lambda: None)
    await process.stopService()
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        stored = {n for (n,) in db.execute("select n from t")}
    assert set(acknowledged) <= stored
    assert stored <= set(acknowledged) | set(maybe)
