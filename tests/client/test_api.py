"""
L{dbdriver.client.api}: L{DriverClient} on a connection, the L{Transaction}s
it opens (begun, committed or rolled back, then closed to further calls),
and L{connect} / L{connect_endpoint}.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactor, StringTransport

from dbdriver import exceptions as exc
from dbdriver.client.api import DriverClient, Transaction, connect, connect_endpoint
from tests.support.client import FakeServer, failure_of, result_of

_ROW = {"table": "t", "data": {"a": 1}}
_TX1 = {"transaction_id": "tx1"}


def test_transaction_commits_on_success(server: FakeServer) -> None:
    async def work() -> Any:
        async with server.client.transaction(priority=8) as tx:
            assert tx.transaction_id == "tx1"
            return await tx.insert("t", {"a": 1})

    d = Deferred.fromCoroutine(work())
    assert server.sent() == [{"id": 1, "method": "begin_transaction", "priority": 8}]
    server.answer(1, "tx1")
    (insert,) = server.sent()
    assert insert == {
        "id": 2,
        "method": "insert",
        "params": _ROW,
        "priority": 8,
        **_TX1,
    }
    server.answer(2, 7)
    (commit,) = server.sent()
    assert commit == {
        **insert,
        "id": 3,
        "method": "commit_transaction",
        "params": _TX1,
    }
    assert not d.called
    server.answer(3, True)
    assert result_of(d) == 7


def test_transaction_rolls_back_on_exception(server: FakeServer) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.insert("t", {"a": 1})

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="constraint_violation", message="unique")
    rollback = server.sent()[2]
    assert rollback["method"] == "rollback_transaction" and rollback["params"] == _TX1
    server.answer(3, True)
    failure_of(d, exc.ConstraintViolation)


def test_rollback_of_vanished_transaction_reraises_original(server: FakeServer) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.count("t")

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="timeout", message="deadline passed")
    server.answer(3, code="unknown_transaction", message="gone")
    failure_of(d, exc.RequestTimeout)


def test_transaction_rolls_back_on_plain_exception(server: FakeServer) -> None:
    async def work() -> None:
        async with server.client.transaction():
            raise KeyError("boom")

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    assert server.sent()[-1]["method"] == "rollback_transaction"
    server.answer(2, True)
    failure_of(d, KeyError)


def test_failed_commit_rolls_back_and_reraises(server: FakeServer) -> None:
    async def work() -> None:
        async with server.client.transaction(timeout=2):
            pass

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="queue_full", message="full")
    rollback = server.sent()[-1]
    assert (rollback["method"], rollback["timeout"]) == ("rollback_transaction", 2)
    server.answer(3, True)
    failure_of(d, exc.QueueFull)


def test_failed_begin(server: FakeServer) -> None:
    tx = server.client.transaction()
    failure_of(tx.ping(), exc.UnknownTransaction)
    assert tx.transaction_id is None and server.sent() == []
    d = tx.begin()
    server.answer(1, code="busy", message="locked")
    failure_of(d, exc.Busy)
    failure_of(tx.count("t"), exc.UnknownTransaction)
    failure_of(tx.begin(), RuntimeError)


def test_explicit_commit_then_calls_fail_locally(server: FakeServer) -> None:
    begin = server.client.transaction().begin()
    server.answer(1, "tx1")
    tx = result_of(begin)
    d = tx.commit()
    server.answer(2, True)
    assert result_of(d) is True
    server.sent()
    failure_of(tx.ping(), exc.UnknownTransaction)
    failure_of(tx.rollback(), exc.UnknownTransaction)
    assert server.sent() == []


def test_explicit_rollback_inside_block_is_not_repeated(server: FakeServer) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.rollback()

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, True)
    assert result_of(d) is None
    methods = [m["method"] for m in server.sent()]
    assert methods == ["begin_transaction", "rollback_transaction"]


def test_connect_endpoint() -> None:
    class Endpoint:
        def connect(self, factory: Any) -> Deferred[Any]:
            protocol = factory.buildProtocol(None)
            protocol.makeConnection(StringTransport())
            return succeed(protocol)

    client = result_of(connect_endpoint(Endpoint(), max_message_size=1234))
    assert isinstance(client, DriverClient)
    assert client.protocol.MAX_LENGTH == 1234


def test_connect_endpoint_needs_a_driver_connection() -> None:
    class Endpoint:
        def connect(self, factory: Any) -> Deferred[Any]:
            return succeed(Protocol())

    failure_of(connect_endpoint(Endpoint()), TypeError)  # type: ignore[arg-type]


def test_connect_goes_to_the_unix_socket() -> None:
    reactor = MemoryReactor()
    d = connect(reactor, "/run/db.sock", timeout=5, max_message_size=99)
    ((path, factory, timeout, _check_pid),) = reactor.unixClients
    assert (path, timeout) == ("/run/db.sock", 5)
    assert not d.called
    # the endpoint wraps the factory; the connection it makes is a driver's
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    client = result_of(d)
    assert isinstance(client, DriverClient)
    assert client.protocol.MAX_LENGTH == 99


def test_close(server: FakeServer) -> None:
    d = server.client.close()
    assert server.transport.disconnecting
    server.lose()
    assert result_of(d) is None


def test_a_transaction_has_no_id_before_it_begins(server: FakeServer) -> None:
    tx = server.client.transaction()
    assert isinstance(tx, Transaction) and tx.transaction_id is None


def test_a_call_inside_overrides_the_defaults(server: FakeServer) -> None:
    begin = server.client.transaction(priority=3, timeout=4).begin()
    assert server.sent() == [
        {"id": 1, "method": "begin_transaction", "priority": 3, "timeout": 4}
    ]
    server.answer(1, "tx1")
    tx = result_of(begin)
    tx.count("t", priority=0)
    (count,) = server.sent()
    assert (count["priority"], count["timeout"], count["transaction_id"]) == (
        0,
        4,
        "tx1",
    )


def test_a_failed_commit_leaves_the_transaction_ended(server: FakeServer) -> None:
    begin = server.client.transaction().begin()
    server.answer(1, "tx1")
    tx = result_of(begin)
    d = tx.commit()
    server.answer(2, code="busy", message="locked")
    failure_of(d, exc.Busy)
    error = failure_of(tx.count("t"), exc.UnknownTransaction)
    assert error.message == "transaction 'tx1' is ended (commit_transaction failed)"
    assert error.details == {"transaction_id": "tx1"}


def test_a_rollback_that_fails_after_a_failed_commit_is_only_logged(
    server: FakeServer,
) -> None:
    async def work() -> None:
        async with server.client.transaction():
            pass

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="queue_full", message="full")
    server.answer(3, code="internal", message="worse")
    failure_of(d, exc.QueueFull)


@pytest.mark.parametrize("code", ["unknown_transaction", "connection_lost"])
def test_a_commit_the_server_cannot_roll_back_is_not_rolled_back(
    server: FakeServer, code: str
) -> None:
    async def work() -> None:
        async with server.client.transaction():
            pass

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    if code == "connection_lost":
        server.sent()
        server.lose()
        failure_of(d, exc.ConnectionLost)
    else:
        server.answer(2, code=code, message="gone")
        failure_of(d, exc.UnknownTransaction)
        assert [m["method"] for m in server.sent()] == [
            "begin_transaction",
            "commit_transaction",
        ]


def test_an_unknown_keyword_argument_inside_is_a_type_error(
    server: FakeServer,
) -> None:
    begin = server.client.transaction(priority=3).begin()
    server.answer(1, "tx1")
    tx = result_of(begin)
    server.sent()
    with pytest.raises(TypeError, match="timout"):
        tx.select("t", timout=1)
    assert server.sent() == []
