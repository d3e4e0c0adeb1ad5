"""
L{dbdriver.client.cursors}: C{iterate} and C{iterate_sql} open a cursor,
fetch it a page at a time and close it, also when the loop is left early
or fails.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

from twisted.internet.defer import Deferred

from dbdriver import exceptions as exc
from tests.support.client import FakeServer, failure_of, result_of


async def _all(rows: Any) -> list[Any]:
    return [row async for row in rows]


def test_iterate_reads_every_page_then_closes(server: FakeServer) -> None:
    rows = server.client.iterate("t", {"a": 1}, columns=["a"], size=2, timeout=3)
    d = Deferred.fromCoroutine(_all(rows))
    (opening,) = server.sent()
    assert opening == {
        "id": 1,
        "method": "open_cursor",
        "params": {"table": "t", "where": {"a": 1}, "columns": ["a"]},
        "timeout": 3,
    }
    server.answer(1, "c1")
    (fetch,) = server.sent()
    assert fetch["params"] == {"cursor_id": "c1", "size": 2}
    server.answer(2, {"rows": [{"a": 1}, {"a": 1}], "done": False})
    server.answer(3, {"rows": [{"a": 1}], "done": True})
    _, close = server.sent()
    assert close == {
        "id": 4,
        "method": "close_cursor",
        "params": {"cursor_id": "c1"},
        "timeout": 3,
    }
    assert not d.called
    server.answer(4, True)
    assert result_of(d) == [{"a": 1}] * 3


def test_iterate_sql(server: FakeServer) -> None:
    d = Deferred.fromCoroutine(_all(server.client.iterate_sql("SELECT ?", (5,))))
    (opening,) = server.sent()
    assert opening["params"] == {"sql": "SELECT ?", "params": [5]}
    server.answer(1, "c2")
    server.answer(2, {"rows": [], "done": True})
    server.answer(3, True)
    assert result_of(d) == []
    methods = [m["method"] for m in server.sent()]
    assert methods == ["fetch", "close_cursor"]


def test_leaving_early_closes_without_waiting(server: FakeServer) -> None:
    async def first() -> Any:
        async with aclosing(server.client.iterate("t")) as rows:
            async for row in rows:
                return row

    d = Deferred.fromCoroutine(first())
    server.answer(1, "c1")
    server.answer(2, {"rows": [{"a": 1}, {"a": 2}], "done": False})
    assert result_of(d) == {"a": 1}
    close = server.sent()[-1]
    assert (close["method"], close["params"]) == ("close_cursor", {"cursor_id": "c1"})
    assert "timeout" not in close


def test_a_failed_fetch_closes_and_fails(server: FakeServer) -> None:
    d = Deferred.fromCoroutine(_all(server.client.iterate("t")))
    server.answer(1, "c1")
    server.answer(2, code="timeout", message="too slow")
    failure_of(d, exc.RequestTimeout)
    assert server.sent()[-1]["method"] == "close_cursor"
    server.answer(3, code="internal", message="the close failing is ignored")


def test_a_failed_open_sends_nothing_more(server: FakeServer) -> None:
    d = Deferred.fromCoroutine(_all(server.client.iterate("t")))
    server.answer(1, code="no_such_table", message="no table t")
    failure_of(d, exc.NoSuchTable)
    assert [m["method"] for m in server.sent()] == ["open_cursor"]
