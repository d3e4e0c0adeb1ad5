"""
C{sync_schema} against concurrency and crashes: requests during a sync
wait and see the old schema or the new one, never a mixture; a C{kill -9}
of the driver process in the middle of a rebuild of a large table leaves
the old schema (or the new one) with every row, and a restarted driver
finishes the job.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from contextlib import closing

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred, gatherResults

from dbdriver import Busy, ConnectionLost, ConstraintViolation, connect, testing
from tests.support.live import error_of, sleep
from tests.support.schema_versions import V1, V2, V2_REPORT, snapshot

ROWS = 500_000


def fill(database: str, rows: int) -> None:
    """One project with C{rows} files, written directly (fast)."""
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("INSERT INTO projects (name, root) VALUES ('big', '/')")
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < ?) INSERT INTO files (project_id, path, size, sha1, lines) "
            "SELECT 1, 'src/module_' || i || '.py', i % 5000, "
            "hex(randomblob(20)), i % 700 FROM n",
            (rows,),
        )
        connection.commit()


def wal_size(database: str) -> int:
    try:
        return os.path.getsize(database + "-wal")
    except OSError:
        return 0


@pytest_twisted.ensureDeferred
async def test_kill_during_a_rebuild_leaves_one_schema_or_the_other(
    start_driver, tmp_path
):
    driver = start_driver()
    client = await connect(reactor, driver.socket)
    await client.sync_schema(V1)
    await client.close()
    driver.stop()
    fill(driver.database, ROWS)
    with closing(sqlite3.connect(driver.database)) as connection:
        old = snapshot(connection)

    driver = start_driver()
    client = await connect(reactor, driver.socket)
    backups = tmp_path / "backups"
    syncing = client.sync_schema(V2, backup_dir=str(backups), timeout=600)
    deadline = time.monotonic() + 120
    # the backup is in place, then the rebuild writes the new table: kill
    while not (
        backups.exists() and any(p.suffix == ".sqlite3" for p in backups.iterdir())
    ):
        assert time.monotonic() < deadline, driver.log()
        await sleep(0.01)
    while wal_size(driver.database) < 2 * 1024 * 1024:
        assert time.monotonic() < deadline, driver.log()
        await sleep(0.005)
    driver.send(signal.SIGKILL)
    assert driver.wait() == -signal.SIGKILL
    assert isinstance(await error_of(syncing), ConnectionLost)
    await client.close()

    with closing(sqlite3.connect(driver.database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        after = snapshot(connection)
        assert connection.execute("SELECT count(*) FROM files").fetchone() == (ROWS,)
        assert not any("_dbdriver_rebuild" in str(row) for row in after)
    # the backup taken before the kill is whole
    (backup,) = backups.glob("*.sqlite3")
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT count(*) FROM files").fetchone() == (ROWS,)
        assert snapshot(copy) == old
    driver = start_driver()
    client = await connect(reactor, driver.socket)
    try:
        dry = await client.sync_schema(V2, dry_run=True)
        # exactly the old schema (the kill came before the commit, as it
        # does unless this machine stalls), or exactly the new one
        assert after == old or dry["changed"] is False
        assert dry["changed"] is (after == old)
        result = await client.sync_schema(V2, backup_dir=str(backups), timeout=600)
        if after == old:
            assert {k: result[k] for k in V2_REPORT} == V2_REPORT
        assert await client.count("files") == ROWS
        assert (await client.sync_schema(V2))["changed"] is False
    finally:
        await client.close()


@pytest_twisted.ensureDeferred
async def test_requests_during_a_sync_see_one_schema(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    running = await testing.start_driver(tmp_path, database=database)
    client = await running.client()
    await client.sync_schema(V1)
    await running.stop()
    fill(database, 60_000)
    running = await testing.start_driver(tmp_path, database=database)
    try:
        client = await running.client()
        other = await running.client()
        old = [c["name"] for c in await client.get_table_info("files")]
        done: list[str] = []

        async def track(name, call):
            value = await call
            done.append(name)
            return value

        backups = tmp_path / "backups" / "b"
        syncing = ensureDeferred(
            track("sync", client.sync_schema(V2, backup_dir=str(backups)))
        )
        while not backups.exists() or not list(backups.glob("*.sqlite3")):
            await sleep(0.002)
        # the sync runs (its backup is taken): a write now waits for it
        writing = ensureDeferred(
            track("insert", other.insert("files", {"project_id": 1, "path": "n"}))
        )
        infos, rows, counts = [], [], []
        while not syncing.called:
            infos.append(await other.get_table_info("files"))
            rows.append(await other.select("files", {"id": {"<": 3}}, order_by=["id"]))
            counts.append(await other.count("files"))
        result = await syncing
        await writing
        assert {k: result[k] for k in V2_REPORT} == V2_REPORT
        new = [c["name"] for c in await client.get_table_info("files")]
        assert new == [*old, "language"]
        assert infos
        for info, found in zip(infos, rows, strict=True):
            names = [c["name"] for c in info]
            assert names in (old, new)
            assert all(list(r) in (old, new) for r in found)
        assert set(counts) <= {60_000, 60_001}
        # the write waited for the sync (the writer runs a sync alone)
        assert done == ["sync", "insert"]
        assert await client.count("files") == 60_001
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_a_sync_waits_for_an_open_transaction(tmp_path):
    running = await testing.start_driver(
        tmp_path, database=str(tmp_path / "db.sqlite3")
    )
    try:
        client = await running.client()
        await client.sync_schema(V1)
        await client.insert("projects", {"name": "p"})
        async with client.transaction() as tx:
            await tx.insert("projects", {"name": "q"})
            syncing = client.sync_schema(V2, backup_dir=str(tmp_path / "backups" / "b"))
            await sleep(0.3)
            assert not syncing.called
        result = await syncing
        assert result["changed"] is True
        assert await client.count("projects") == 2
        with closing(sqlite3.connect(result["backup"])) as copy:
            assert copy.execute("SELECT count(*) FROM projects").fetchone() == (2,)
        # both finish whatever the order they are asked in
        results = await gatherResults(
            [client.sync_schema(V2), client.insert("projects", {"name": "r"})]
        )
        assert results[0]["changed"] is False
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_a_sync_that_cannot_get_the_write_lock_is_busy(tmp_path):
    running = await testing.start_driver(
        tmp_path, database=str(tmp_path / "db.sqlite3"), busy_timeout=0.2
    )
    try:
        client = await running.client()
        await client.sync_schema(V1)
        async with client.transaction() as tx:
            await tx.insert("projects", {"name": "q"})
            error = await error_of(
                client.sync_schema(V2, backup_dir=str(tmp_path / "backups"))
            )
        assert isinstance(error, Busy)
        # the writer's foreign keys are on again
        error = await error_of(client.insert("files", {"project_id": 9, "path": "x"}))
        assert isinstance(error, ConstraintViolation)
        assert (await client.sync_schema(V1, dry_run=True))["changed"] is False
    finally:
        await running.stop()
