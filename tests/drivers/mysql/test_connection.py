"""
The MySQL/MariaDB backend when things go wrong: server errors as protocol
codes, deadlines that interrupt running statements, connections the server
kills (as a restart does), lock waits, C{--read-only}, bad credentials.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pymysql
import pytest
import pytest_twisted
from twisted.logger import globalLogPublisher

from dbdriver.client import DriverClient
from dbdriver.server.config import Config
from dbdriver.server.runner import DriverService
from dbdriver.testing import RunningDriver
from tests.support.live import error_of, sleep
from tests.support.mysql import (
    MYSQL,
    MySQLDatabase,
    client,
    driver_on,
    mysql_db,
    running,
)

__all__ = ["client", "mysql_db", "running"]

PARENT = {
    "name": "p",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
    ],
}
CHILD = {
    "name": "c",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "p", "type": "integer", "references": {"table": "p", "column": "id"}},
    ],
}


@pytest_twisted.ensureDeferred
async def test_error_codes(client: DriverClient) -> None:
    await client.create_table(PARENT)
    await client.create_table(CHILD)
    parent = await client.insert("p", {"name": "a"})
    await client.insert("c", {"p": parent})
    cases = {
        "constraint_violation": [
            client.insert("p", {"name": "a"}),
            client.insert("p", {"id": parent, "name": "b"}),
            client.insert("p", {"id": 5}),
            client.update("p", {"id": parent}, {"name": None}),
            client.insert("c", {"p": 99}),
            client.delete("p", {"id": parent}),
            client.drop_table("p"),
            client.execute("INSERT INTO p (name) VALUES (NULL)"),
        ],
        "no_such_table": [client.select("nope"), client.execute("DELETE FROM nope")],
        "no_such_column": [client.update("p", {"id": 1}, {"nope": 1})],
        "sql_error": [client.execute("SELEC 1"), client.execute("SELECT 1 +")],
    }
    for code, calls in cases.items():
        for call in calls:
            error = await error_of(call)
            assert error.code == code, error
    error = await error_of(client.execute("SELECT * FROM nope"))
    assert error.details == {"table": "nope"}
    error = await error_of(client.execute("SELEC 1"))
    assert error.details == {"mysql_error": 1064} and "syntax" in error.message
    assert await client.count("p") == 1 and await client.count("c") == 1


@pytest_twisted.ensureDeferred
async def test_deadline_interrupts_the_statement(client: DriverClient) -> None:
    await client.create_table(PARENT)
    started = time.monotonic()
    error = await error_of(client.execute("SELECT SLEEP(5)", timeout=0.3))
    assert error.code == "timeout"
    assert time.monotonic() - started < 2.5
    assert (await client.execute("SELECT 1"))["rows"] == [[1]]
    # a write interrupted is rolled back; a read in the same hop is not hit
    error = await error_of(
        client.execute("INSERT INTO p (name) SELECT CONCAT('x', SLEEP(5))", timeout=0.3)
    )
    assert error.code == "timeout"
    assert await client.count("p") == 0
    tx = await client.transaction().begin()
    await tx.insert("p", {"name": "in tx"})
    error = await error_of(tx.execute("SELECT SLEEP(5)", timeout=0.3))
    assert error.code == "timeout"
    assert (await error_of(tx.count("p"))).code == "unknown_transaction"
    assert await client.count("p") == 0
    assert await client.insert("p", {"name": "after"}) is not None


@pytest_twisted.ensureDeferred
async def test_lock_wait_is_busy(mysql_db: MySQLDatabase, tmp_path: Path) -> None:
    async with driver_on(mysql_db, tmp_path / "d", busy_timeout=1) as started:
        client = await started.client()
        await client.create_table(PARENT)
        await client.insert("p", {"name": "a"})
        tx = await client.transaction().begin()
        await tx.update("p", {"name": "a"}, {"name": "b"})
        error = await error_of(client.update("p", {"name": "a"}, {"name": "c"}))
        assert error.code == "busy"
        assert await tx.count("p", {"name": "b"}) == 1  # the holder goes on
        await tx.commit()
        assert await client.update("p", {"name": "b"}, {"name": "c"}) == 1


async def _lost_or_fine(call: Any) -> None:
    """The first request after a kill: lost (it used a killed connection)."""
    try:
        await call
    except Exception as e:
        assert getattr(e, "code", None) == "unavailable", e
        assert getattr(e, "details", {})["applied"] in (False, "unknown"), e
        assert "connection to the database server was lost" in str(e)


@pytest_twisted.ensureDeferred
async def test_killed_connections(
    client: DriverClient, mysql_db: MySQLDatabase
) -> None:
    await client.create_table(PARENT)
    assert await client.insert("p", {"name": "a"}) is not None
    await client.count("p")
    tx = await client.transaction().begin()
    await tx.insert("p", {"name": "in tx"})
    assert mysql_db.kill_connections() >= 2
    await _lost_or_fine(client.insert("p", {"name": "b"}))
    await _lost_or_fine(client.count("p"))
    # the next requests run on connections opened again
    assert await client.insert("p", {"name": "c"}) is not None
    for _ in range(6):
        assert await client.count("p", {"name": "c"}) == 1
    # the transaction died with its connection, and says so
    error = await error_of(tx.insert("p", {"name": "more"}))
    assert error.code == "unavailable" and "lost" in error.message
    assert (await error_of(tx.count("p"))).code == "unknown_transaction"
    assert await client.count("p", {"name": "in tx"}) == 0
    # killed while idle again, the connections come back again
    mysql_db.kill_connections()
    await _lost_or_fine(client.select("p"))
    assert len(await client.select("p")) in (2, 3)
    # a statement running when its session is killed says so
    slow = error_of(client.execute("SELECT SLEEP(5)", timeout=20))
    await sleep(0.5)
    assert mysql_db.kill_connections() >= 1
    error = await slow
    assert error.code == "unavailable" and error.details["connection_lost"] is True
    assert error.details["applied"] == "unknown"
    assert (await client.execute("SELECT 2"))["rows"] == [[2]]


@pytest_twisted.ensureDeferred
async def test_read_only(mysql_db: MySQLDatabase, tmp_path: Path) -> None:
    async with driver_on(mysql_db, tmp_path / "rw") as started:
        writer = await started.client()
        await writer.create_table(PARENT)
        await writer.insert("p", {"name": "a"})
    async with driver_on(mysql_db, tmp_path / "ro", read_only=True) as started:
        client = await started.client()
        assert (await client.server_info())["read_only"] is True
        assert await client.select("p", columns=["name"]) == [{"name": "a"}]
        for call in (
            client.insert("p", {"name": "b"}),
            client.execute("INSERT INTO p (name) VALUES ('b')"),
            client.execute("UPDATE p SET name = 'b'"),
            client.execute("CREATE TABLE q (a INT)"),
        ):
            assert (await error_of(call)).code == "read_only"
        for sql in (
            "SET SESSION TRANSACTION READ WRITE",
            "SET STATEMENT tx_read_only = 0 FOR INSERT INTO p (name) VALUES ('b')",
        ):
            assert (await error_of(client.execute(sql))).code == "invalid_params"
        tx = await client.transaction().begin()
        assert (await error_of(tx.execute("DELETE FROM p"))).code == "read_only"
        await tx.rollback()
        assert await client.count("p") == 1


@pytest_twisted.ensureDeferred
async def test_credentials_stay_hidden(mysql_db: MySQLDatabase, tmp_path: Path) -> None:
    user, password = f"dbd_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    mysql_db.sql(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    mysql_db.sql(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'")
    try:
        mysql_db.sql(f"GRANT ALL ON `{mysql_db.name}`.* TO '{user}'@'%'")
        mysql_db.sql(f"GRANT ALL ON `{mysql_db.name}`.* TO '{user}'@'localhost'")
        host = mysql_db.uri.split("@", 1)[1]
        events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(events.append)
        try:
            uri = f"mysql://{user}:{password}@{host}"
            async with driver_on(mysql_db, tmp_path / "d") as _:
                pass
            mysql_db.uri, saved = uri, mysql_db.uri
            try:
                async with driver_on(mysql_db, tmp_path / "p") as started:
                    client = await started.client()
                    info = await client.server_info()
                    assert info["backend"] == "mysql"
                    assert password not in repr(info)
                    await client.create_table(PARENT)
                    await error_of(client.execute("SELECT * FROM mysql.user"))
            finally:
                mysql_db.uri = saved
            wrong = f"mysql://{user}:wrong-{password}@{host}"
            with pytest.raises(SystemExit) as exit_info:
                DriverService(Config(database=wrong), socket_path=None).startService()
            assert "Access denied" in str(exit_info.value)
            assert password not in str(exit_info.value)
        finally:
            globalLogPublisher.removeObserver(events.append)
        from twisted.logger import formatEvent

        assert not [e for e in events if password in formatEvent(e)]
    finally:
        mysql_db.sql(f"DROP USER '{user}'@'%'")
        mysql_db.sql(f"DROP USER '{user}'@'localhost'")


def test_unreachable_server_is_a_clear_error() -> None:
    pytest.importorskip("pymysql")
    database = MYSQL.rstrip("/").rsplit(":", 1)[0] + ":1/test"
    with pytest.raises(SystemExit) as exit_info:
        DriverService(Config(database=database), socket_path=None).startService()
    assert "cannot connect to the MySQL/MariaDB server" in str(exit_info.value)


@pytest_twisted.ensureDeferred
async def test_group_commit_with_failures(running: RunningDriver) -> None:
    """
    Many writes at once share one transaction; the ones that fail (a
    duplicate, a deadline) leave the others committed.
    """
    clients = [await running.client() for _ in range(4)]
    await clients[0].create_table(PARENT)
    calls = [c.insert("p", {"name": f"n{i % 40}"}) for i in range(60) for c in clients]
    outcomes: list[Any] = []
    for call in calls:
        try:
            outcomes.append(await call)
        except Exception as e:
            outcomes.append(getattr(e, "code", e))
    assert sum(isinstance(o, int) for o in outcomes) == 40
    assert set(o for o in outcomes if not isinstance(o, int)) == {
        "constraint_violation"
    }
    assert await clients[0].count("p") == 40
    await sleep(0)


@pytest_twisted.ensureDeferred
async def test_deadlock_ends_the_victims_transaction(client: DriverClient) -> None:
    """
    The server rolls back a deadlock victim's whole transaction: its
    request is busy and its id unknown afterwards; the other goes on.
    """
    await client.create_table(PARENT)
    await client.insert_many("p", [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    one = await client.transaction().begin()
    two = await client.transaction().begin()
    await one.update("p", {"id": 1}, {"name": "a1"})
    await two.update("p", {"id": 2}, {"name": "b2"})
    waiting = one.update("p", {"id": 2}, {"name": "b1"})
    await sleep(0.3)
    crossing = two.update("p", {"id": 1}, {"name": "a2"})
    outcomes: dict[str, Any] = {}
    for name, call in (("one", waiting), ("two", crossing)):
        try:
            outcomes[name] = await call
        except Exception as e:
            outcomes[name] = e
    victims = [n for n, o in outcomes.items() if not isinstance(o, int)]
    assert len(victims) == 1
    victim = outcomes[victims[0]]
    assert victim.code == "busy" and victim.details["transaction_ended"] is True
    loser, winner = (one, two) if victims == ["one"] else (two, one)
    assert (await error_of(loser.count("p"))).code == "unknown_transaction"
    await winner.commit()
    names = {r["name"] for r in await client.select("p")}
    assert names in ({"a1", "b1"}, {"a2", "b2"})


@pytest_twisted.ensureDeferred
async def test_deadlock_inside_a_write_group(client: DriverClient) -> None:
    """
    A deadlock that rolls back a group's transaction fails only the request
    that met it; the others of the group run again and commit.
    """
    await client.create_table(PARENT)
    await client.insert_many("p", [{"id": n, "name": str(n)} for n in range(1, 5)])
    holder = await client.transaction().begin()
    await holder.update("p", {"id": 2}, {"name": "held"})
    # heavier than the group: the server picks the group as the victim
    await holder.insert_many("p", [{"name": f"n{n}"} for n in range(50)])
    # the writer is busy: the next two writes wait, then run as one group
    slow = client.execute("SELECT SLEEP(0.5)")
    other = client.update("p", {"id": 4}, {"name": "group"})
    meets = client.update("p", {"id": {"in": [1, 2]}}, {"name": "group too"})
    await slow
    await sleep(0.3)  # meets holds row 1 and waits for row 2
    crossing = holder.update("p", {"id": 1}, {"name": "holder"})
    outcomes: list[Any] = []
    for call in (other, crossing, meets):
        try:
            outcomes.append(await call)
        except Exception as e:
            outcomes.append(e.code)  # type: ignore[attr-defined]
    assert outcomes == [1, 1, "busy"]  # other ran again, and committed
    await holder.commit()
    rows = await client.select("p", {"id": {"<": 5}}, order_by=["id"])
    assert [r["name"] for r in rows] == ["holder", "held", "3", "group"]


@pytest.mark.parametrize(
    ("error", "applied"),
    [
        (pymysql.err.OperationalError(2003, "Can't connect to server"), False),
        (pymysql.err.OperationalError(2002, "Can't connect through socket"), False),
        (pymysql.err.InterfaceError(0, ""), False),  # closed before sending
        (pymysql.err.OperationalError(2006, "server has gone away"), "unknown"),
        (pymysql.err.OperationalError(2013, "Lost connection"), "unknown"),
        (pymysql.err.OperationalError(1927, "Connection was killed"), "unknown"),
    ],
)
def test_an_unreachable_server_is_unavailable(
    error: Exception, applied: object
) -> None:
    from twisted.internet import reactor

    from dbdriver.drivers.mysql.driver import MySQLBackend

    backend = MySQLBackend(Config(database="mysql://u@db/app"), reactor)
    translated = backend.translate_error(error)
    assert translated is not None and translated.code == "unavailable"
    assert translated.details["applied"] == applied
    syntax = backend.translate_error(pymysql.err.ProgrammingError(1064, "syntax"))
    assert syntax is not None and syntax.code == "sql_error"
