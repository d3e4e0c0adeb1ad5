"""
What the workloads share during one run: the settings, the temporary
directory, the driver processes and clients, the PostgreSQL anchor (or why
it is skipped), and the results gathered so far.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
from twisted.internet.defer import gatherResults

from dbdriver import DriverClient, connect

from ._data import ITEMS, item_rows
from ._driver import DriverProcess, Subprocess
from ._measure import Side
from ._pg import PostgresAnchor
from ._settings import WORKLOADS, Settings


@attrs.define
class Workload:
    """
    One row of the results: a workload, both sides, and their ratio.

    @ivar unit: what the throughputs count per second.
    @ivar ratio: driver throughput / anchor throughput (C{None}: no anchor).
    @ivar status: C{pass}/C{FAIL} against the target (informational),
        C{skipped} without an anchor, C{error} if the driver side failed.
    """

    id: str
    title: str
    unit: str
    target: float
    driver: Side | None
    anchor: Side | None
    anchor_skipped: str | None = None
    ratio: float | None = None
    status: str = "skipped"
    notes: list[str] = attrs.Factory(list)

    @classmethod
    def make(
        cls,
        wid: str,
        unit: str,
        driver: Side | None,
        anchor: Side | None,
        *,
        skipped: str | None = None,
        target_of: str | None = None,
        title: str | None = None,
        notes: list[str] | None = None,
    ) -> Workload:
        """The row of C{wid} with its ratio and status worked out."""
        default_title, target = WORKLOADS[target_of or wid]
        ratio = None
        if driver is not None and anchor is not None and anchor.throughput > 0:
            ratio = driver.throughput / anchor.throughput
        if driver is None or driver.errors or driver.ops == 0:
            status = "error"
        elif anchor is None or (anchor.errors and not anchor.ops):
            status = "skipped"
        else:
            status = "pass" if ratio is not None and ratio >= target else "FAIL"
        return cls(
            id=wid,
            title=title or default_title,
            unit=unit,
            target=target,
            driver=driver,
            anchor=anchor,
            anchor_skipped=skipped,
            ratio=ratio,
            status=status,
            notes=list(notes or ()),
        )


class Bench:
    """
    The state of one run.

    @ivar tmp: a temporary directory for databases, sockets and logs.
    @ivar pg: the PostgreSQL anchor, or C{None} with C{pg_skipped} saying why.
    @ivar main: the driver most workloads run against (started lazily).
    """

    def __init__(self, reactor: Any, settings: Settings, tmp: Path) -> None:
        self.reactor = reactor
        self.settings = settings
        self.tmp = tmp
        self.loadavg_start = os.getloadavg()
        self.pg, self.pg_skipped = PostgresAnchor.open(settings.pg)
        self.processes: list[Subprocess] = []
        self.clients: list[DriverClient] = []
        self.main: DriverProcess | None = None
        self.workloads: list[Workload] = []
        self.sweeps: dict[str, Any] = {}
        self.memory: dict[str, Any] = {}
        self.failures: list[str] = []
        self._items_ready = False
        self._pg_items_ready = False

    def driver(self, name: str, *options: str) -> DriverProcess:
        """Start a fresh driver process (stopped at the end of the run)."""
        process = DriverProcess(name, self.tmp, *options)
        self.processes.append(process)
        return process

    def stop(self, process: Subprocess) -> None:
        """Stop one process before the end of the run."""
        process.stop()
        if process in self.processes:
            self.processes.remove(process)

    async def connect(self, process: Subprocess, count: int = 1) -> list[DriverClient]:
        """C{count} new client connections to a driver."""
        clients: list[DriverClient] = await gatherResults(
            [connect(self.reactor, process.socket) for _ in range(count)]
        )
        self.clients.extend(clients)
        return clients

    async def close(self, clients: list[DriverClient]) -> None:
        """Close client connections."""
        for client in clients:
            if client in self.clients:
                self.clients.remove(client)
        await gatherResults([c.close() for c in clients])

    async def main_driver(self) -> DriverProcess:
        """The shared driver (default options), started on first use."""
        if self.main is None:
            self.main = self.driver("main")
        return self.main

    async def items(self) -> DriverProcess:
        """The shared driver, with the C{items} table filled."""
        main = await self.main_driver()
        if not self._items_ready:
            (client,) = await self.connect(main)
            await client.create_table(ITEMS)
            rows = item_rows(self.settings.rows)
            for start in range(0, len(rows), 1000):
                await client.insert_many("items", rows[start : start + 1000])
            await self.close([client])
            self._items_ready = True
        return main

    def pg_items(self) -> PostgresAnchor | None:
        """The PostgreSQL anchor with its items table filled, if reachable."""
        if self.pg is not None and not self._pg_items_ready:
            self.pg.setup_items(self.settings.rows)
            self._pg_items_ready = True
        return self.pg

    async def shutdown(self) -> None:
        """Close every client, stop every process, clean PostgreSQL up."""
        if self.clients:
            await self.close(list(self.clients))
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        if self.pg is not None:
            try:
                self.pg.cleanup()
            except Exception as e:
                self.failures.append(f"PostgreSQL cleanup: {e}")
