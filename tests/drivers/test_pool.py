"""
L{dbdriver.drivers.pool}: the reconnecting pool and its liveness policy,
on SQLite connections with a policy of the test's own.
"""

from __future__ import annotations

import sqlite3

import pytest_twisted
from twisted.enterprise import adbapi
from twisted.internet import reactor

from dbdriver.drivers.pool import Losses, ReconnectingPool


class _Connection(sqlite3.Connection):
    """Weak references allowed (the pool's record keeps them)."""


class _Policy:
    """Connections in C{dead} are unusable; nothing is revived in place."""

    def __init__(self) -> None:
        self.dead: set[int] = set()
        self.lost_ones: set[int] = set()
        self.discarded: list[sqlite3.Connection] = []

    def usable(self, connection: sqlite3.Connection) -> bool:
        return id(connection) not in self.dead

    def lost(self, connection: sqlite3.Connection) -> bool:
        return id(connection) in self.lost_ones

    def revive(self, connection: sqlite3.Connection) -> bool:
        return False

    def discard(self, connection: sqlite3.Connection) -> None:
        self.discarded.append(connection)


class _Broken:
    def rollback(self) -> None:
        raise sqlite3.OperationalError("gone")


def test_losses_count_outages_not_connections() -> None:
    losses = Losses()
    first, second, third = _Broken(), _Broken(), _Broken()
    for connection in (first, second, third):
        assert not losses.stale(connection)
    losses.lost(first)
    losses.lost(second)  # the same outage
    assert losses.generation == 1
    assert losses.stale(third)
    losses.checked(third)
    assert not losses.stale(third)
    assert not losses.stale(_Broken())  # never seen: checked now


def _pool(policy: _Policy, losses: Losses) -> ReconnectingPool[sqlite3.Connection]:
    return ReconnectingPool(
        policy,
        losses,
        "sqlite3",
        ":memory:",
        check_same_thread=False,
        factory=_Connection,
        cp_min=1,
        cp_max=1,
        cp_noisy=False,
        cp_reactor=reactor,
    )


@pytest_twisted.ensureDeferred
async def test_an_unusable_connection_is_replaced() -> None:
    policy, losses = _Policy(), Losses()
    pool = _pool(policy, losses)
    try:
        first = await pool.runWithConnection(lambda c: c.raw)
        assert await pool.runWithConnection(lambda c: c.raw) is first
        policy.dead.add(id(first))
        assert await pool.runWithConnection(lambda c: c.raw) is not first
    finally:
        pool.close()


@pytest_twisted.ensureDeferred
async def test_a_lost_connection_ends_without_commit_and_ages_the_others() -> None:
    policy, losses = _Policy(), Losses()
    pool = _pool(policy, losses)
    try:

        def lose(connection: adbapi.Connection) -> sqlite3.Connection:
            raw: sqlite3.Connection = connection.raw
            policy.lost_ones.add(id(raw))
            return raw

        lost = await pool.runWithConnection(lose)
        assert losses.generation == 1
        policy.lost_ones.clear()
        # Older than the loss: replaced at the next checkout.
        assert await pool.runWithConnection(lambda c: c.raw) is not lost
    finally:
        pool.close()


def test_a_failed_rollback_discards_the_connection() -> None:
    policy, losses = _Policy(), Losses()
    pool = _pool(policy, losses)
    try:
        connection = pool.connectionFactory(pool)
        broken = _Broken()
        connection._connection = broken
        connection.rollback()
        assert policy.discarded == [broken]
    finally:
        pool.close()
