"""
L{dbdriver.drivers.mysql.statements}, on the real MariaDB/MySQL: DDL (which
MySQL commits implicitly) refused inside a transaction, so that a rollback
still undoes everything; transaction control, C{USE} and session settings
refused in C{execute}; C{?} placeholders counted against the params; a
failed statement leaves its transaction usable.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from dbdriver.exceptions import InvalidParams
from dbdriver.testing import RunningDriver
from tests.support.live import error_of
from tests.support.mysql import MySQLDatabase, mysql_db, running

__all__ = ["mysql_db", "running"]

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "k", "type": "text"},
    ],
}
U = {"name": "u", "columns": [{"name": "x", "type": "integer"}]}


@pytest_twisted.ensureDeferred
async def test_ddl_is_refused_inside_a_transaction(
    running: RunningDriver, mysql_db: MySQLDatabase
) -> None:
    client = await running.client()
    await client.create_table(T)
    async with client.transaction() as tx:
        await tx.insert("t", {"id": 1, "k": "a"})
        error = await error_of(tx.create_table(U))
        assert error.code == "sql_error" and error.details["implicit_commit"]
        error = await error_of(tx.execute("CREATE TABLE v (x INT)"))
        assert error.details["implicit_commit"]
        error = await error_of(tx.execute("CREATE TEMPORARY TABLE tmp (x INT)"))
        assert error.code == "forbidden"  # it would outlive the request
        await tx.rollback()
    assert mysql_db.sql("SELECT count(*) FROM t") == [(0,)]
    assert await client.list_tables() == ["t"]


@pytest.mark.parametrize(
    "sql",
    [
        "BEGIN",
        "COMMIT",
        "START TRANSACTION",
        "SET autocommit = 1",
        "USE mysql",
        "/* hidden */ ROLLBACK",
    ],
)
@pytest_twisted.ensureDeferred
async def test_execute_refuses_what_belongs_to_the_driver(
    running: RunningDriver, sql: str
) -> None:
    client = await running.client()
    error = await error_of(client.execute(sql))
    assert error.code == InvalidParams.code


@pytest_twisted.ensureDeferred
async def test_placeholders_are_counted(running: RunningDriver) -> None:
    client = await running.client()
    error = await error_of(client.execute("SELECT ?, ?", [1]))
    assert error.code == "invalid_params" and "placeholders" in error.message
    assert (await client.execute("SELECT ? + 1, '?'", [1]))["rows"] == [[2, "?"]]


@pytest_twisted.ensureDeferred
async def test_a_failed_statement_leaves_the_transaction_usable(
    running: RunningDriver, mysql_db: MySQLDatabase
) -> None:
    client = await running.client()
    await client.create_table(T)
    async with client.transaction() as tx:
        await tx.insert("t", {"id": 1, "k": "a"})
        error = await error_of(tx.insert("t", {"id": 1, "k": "dup"}))
        assert error.code == "constraint_violation"
        await tx.insert("t", {"id": 2, "k": "b"})
    assert mysql_db.sql("SELECT id FROM t ORDER BY id") == [(1,), (2,)]
