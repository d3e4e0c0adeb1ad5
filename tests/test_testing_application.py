"""
An application tested with L{dbdriver.testing} under pytest-twisted: one
test starts and stops drivers several times (an in-memory one, then a file
that outlives each driver), and after every stop the reactor holds nothing
of the driver's: no delayed call, no socket, no database thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

import attrs
import pytest_twisted
from twisted.internet import reactor

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver, start_driver

NOTES = {
    "name": "notes",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "text", "type": "text"},
    ],
}


@attrs.define
class Notebook:
    """The application: notes kept through a driver client."""

    client: DriverClient

    async def setup(self) -> None:
        await self.client.sync_schema({"tables": [NOTES]})

    async def add(self, *texts: str) -> None:
        async with self.client.transaction() as transaction:
            for text in texts:
                await transaction.insert("notes", {"text": text})

    async def texts(self) -> list[str]:
        rows = await self.client.select("notes", order_by=["id"])
        return [row["text"] for row in rows]


def _leftovers(running: RunningDriver) -> list[str]:
    calls = [
        repr(call)
        for call in reactor.getDelayedCalls()
        if "dbdriver" in getattr(call.func, "__module__", "")
    ]
    threads = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("PoolThread", "dbdriver"))
    ]
    readers = [
        repr(s)
        for s in reactor.getReaders() + reactor.getWriters()
        if "dbdriver" in type(getattr(s, "protocol", s)).__module__
        or running.socket_path in repr(s)
    ]
    return calls + threads + readers


@pytest_twisted.ensureDeferred
async def test_an_application_across_several_drivers(tmp_path: Path) -> None:
    for round in range(3):  # a fresh in-memory database each time
        running = await start_driver(tmp_path / "memory" / str(round))
        notebook = Notebook(await running.client())
        await notebook.setup()
        await notebook.add("first", "second")
        assert await notebook.texts() == ["first", "second"]
        await running.stop()
        assert _leftovers(running) == []
    database = str(tmp_path / "notes.sqlite3")
    for round in range(3):  # one file, kept between the drivers
        running = await start_driver(tmp_path / "file", database=database)
        notebook = Notebook(await running.client())
        await notebook.setup()
        await notebook.add(f"round {round}")
        assert await notebook.texts() == [f"round {r}" for r in range(round + 1)]
        await running.stop()
        assert _leftovers(running) == []
