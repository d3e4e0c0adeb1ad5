"""
L{dbdriver.drivers.engine.engine}: a batch past its deadline is interrupted
and answers C{timeout}; C{abort_running} interrupts what runs, which answers
C{shutting_down}; the engine's pools open on C{open} and go on C{detach}.
On a real SQLite file, through a driver used directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import deferLater

from dbdriver import requests as rq
from dbdriver.exceptions import RequestTimeout, ShuttingDown
from tests.support.backends import SLOW_SQL
from tests.support.direct import connected


@pytest_twisted.ensureDeferred
async def test_a_batch_past_its_deadline_answers_timeout(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        engine = driver.engine
        started = reactor.seconds()
        slow = driver.run(
            rq.ExecuteRequest(sql=SLOW_SQL["sqlite"]), deadline=started + 0.2
        )
        with pytest.raises(RequestTimeout):
            await slow
        assert reactor.seconds() - started < 5
        assert engine.abort_running() == 0  # settled: nothing runs any more
        result = await driver.run(rq.ExecuteRequest(sql="SELECT 1"))
        assert result["rows"] == [[1]]


@pytest_twisted.ensureDeferred
async def test_abort_running_answers_shutting_down(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        slow = driver.run(rq.ExecuteRequest(sql=SLOW_SQL["sqlite"]))
        await deferLater(reactor, 0.2, lambda: None)
        assert driver.engine.abort_running() == 1
        with pytest.raises(ShuttingDown):
            await slow
        assert driver.engine.abort_running() == 0


@pytest_twisted.ensureDeferred
async def test_open_and_detach(tmp_path: Path) -> None:
    async with connected("sqlite", tmp_path) as (driver, _):
        engine = driver.engine
        assert engine.pool is not None and engine.read_pool is not None
        pools = engine.detach()
        assert engine.pool is None and engine.read_pool is None
        assert 1 <= len(pools) <= 2 and len({id(p) for p in pools}) == len(pools)
        for pool in pools:
            pool.close()
