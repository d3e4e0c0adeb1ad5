"""
L{dbdriver.drivers.postgresql.connection}: on the real local PostgreSQL, a
L{DriverConnection} whose values come back as the wire sends them
(timestamps as ISO 8601 text, numerics as int or float), whose C{rollback}
is harmless once the server has closed it; L{cancel} of a running
statement; L{PostgreSQLLiveness} telling an ended session from a live one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from dbdriver.drivers.postgresql.connection import (
    DriverConnection,
    PostgreSQLLiveness,
    cancel,
    connect,
)
from tests.support.backends import POSTGRESQL, require


@pytest.fixture
def connection() -> Iterator[DriverConnection]:
    require("postgresql")
    opened = connect(POSTGRESQL)
    try:
        yield opened
    finally:
        opened.close()


def test_values_as_on_the_wire(connection: DriverConnection) -> None:
    row = connection.execute(
        "SELECT TIMESTAMP '2024-01-02 03:04:05.5', "
        "TIMESTAMPTZ '2024-01-02 03:04:05+00', 12::numeric, 1.5::numeric, "
        "'x'::text"
    ).fetchone()
    assert row is not None
    stamp, stamptz, whole, part, text = row
    assert isinstance(stamp, str) and stamp.startswith("2024-01-02")
    assert "T" in stamp or " " in stamp
    assert isinstance(stamptz, str) and stamptz.startswith("2024-01-02")
    assert whole == 12 and isinstance(whole, int)
    assert part == 1.5 and isinstance(part, float)
    assert text == "x"


def test_rollback_after_the_server_closed_it(connection: DriverConnection) -> None:
    pid = connection.info.backend_pid
    with psycopg.connect(POSTGRESQL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(psycopg.OperationalError):
        connection.execute("SELECT 1")
    assert connection.closed
    connection.rollback()  # no error


def test_cancel_interrupts_a_running_statement(connection: DriverConnection) -> None:
    errors: list[BaseException] = []

    def sleep() -> None:
        try:
            connection.execute("SELECT pg_sleep(10)")
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=sleep)
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)
    assert cancel(connection) is True
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
    connection.rollback()
    assert connection.execute("SELECT 1").fetchone() == (1,)


def test_liveness(connection: DriverConnection) -> None:
    policy = PostgreSQLLiveness()
    assert policy.usable(connection) and not policy.lost(connection)
    assert policy.revive(connection) is False
    pid = connection.info.backend_pid
    with psycopg.connect(POSTGRESQL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while policy.usable(connection) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not policy.usable(connection)
    other = connect(POSTGRESQL)
    policy.discard(other)
    assert other.closed and policy.lost(other)
