"""
Unit tests of L{dbdriver.client} against an in-memory transport: the
server's side is played by feeding frames into C{dataReceived}.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from dbdriver import exceptions as exc
from dbdriver.client import (
    DriverClient,
    DriverClientFactory,
    DriverClientProtocol,
    connect_endpoint,
)
from dbdriver.requests import InsertRequest
from dbdriver.rpc_protocol import NetstringFraming, decode_payload, encode


class _Reader(NetstringFraming):
    """
    Reads the frames the client wrote.
    """

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def stringReceived(self, string: bytes) -> None:
        self.messages.append(decode_payload(string))


def _frame(message: Any) -> bytes:
    payload = encode(message)
    return b"%d:%s," % (len(payload), payload)


class _Server:
    """
    The far end of one client connection.
    """

    def __init__(self, max_message_size: int | None = None) -> None:
        factory = DriverClientFactory(
            *(() if max_message_size is None else (max_message_size,))
        )
        self.protocol: DriverClientProtocol = factory.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.client = DriverClient(self.protocol)
        self._reader = _Reader()
        self._reader.makeConnection(StringTransport())

    def sent(self) -> list[Any]:
        """
        The requests written since the last call.
        """
        data = self.transport.value()
        self.transport.clear()
        self._reader.messages.clear()
        self._reader.dataReceived(data)
        return list(self._reader.messages)

    def answer(self, request_id: int | None, result: Any = None, **error: Any) -> None:
        if error:
            message = {"id": request_id, "error": error}
        else:
            message = {"id": request_id, "result": result}
        self.protocol.dataReceived(_frame(message))

    def lose(self) -> None:
        self.protocol.connectionLost(Failure(Exception("gone")))


def _result(d: Deferred[Any]) -> Any:
    results: list[Any] = []
    d.addBoth(results.append)
    assert results, "deferred has not fired"
    if isinstance(results[0], Failure):
        results[0].raiseException()
    return results[0]


def _failure(d: Deferred[Any], error_type: type[BaseException]) -> BaseException:
    with pytest.raises(error_type) as info:
        _result(d)
    return info.value


@pytest.fixture
def server() -> _Server:
    return _Server()


def test_request_framing_and_ids(server: _Server) -> None:
    server.client.ping()
    server.client.select("files", {"size": {">": 1}}, limit=5, priority=7, timeout=1.5)
    server.protocol.call("count", {"table": "t"}, transaction_id="tx1")
    assert server.sent() == [
        {"id": 1, "method": "ping"},
        {
            "id": 2,
            "method": "select",
            "params": {"table": "files", "where": {"size": {">": 1}}, "limit": 5},
            "priority": 7,
            "timeout": 1.5,
        },
        {"id": 3, "method": "count", "params": {"table": "t"}, "transaction_id": "tx1"},
    ]
    assert server.protocol.pending == 3


def test_one_write_per_frame() -> None:
    server = _Server()
    writes: list[tuple[bytes, ...]] = []
    server.transport.writeSequence = lambda seq: writes.append(tuple(seq))  # type: ignore[method-assign]
    server.client.list_tables()
    (payload,) = [w[1] for w in writes]
    assert writes == [(b"%d:" % len(payload), payload, b",")]


def test_pipelined_responses_out_of_order(server: _Server) -> None:
    ds = [server.client.count("t", {"n": i}) for i in range(3)]
    server.answer(3, 30)
    server.answer(1, 10)
    assert _result(ds[0]) == 10 and _result(ds[2]) == 30
    assert not ds[1].called
    server.answer(2, 20)
    assert _result(ds[1]) == 20
    assert server.protocol.pending == 0


def test_two_responses_in_one_read(server: _Server) -> None:
    a, b = server.client.ping(), server.client.list_tables()
    server.protocol.dataReceived(
        _frame({"id": 2, "result": ["t"]}) + _frame({"id": 1, "result": "pong"})
    )
    assert (_result(a), _result(b)) == ("pong", ["t"])


def test_error_mapping(server: _Server) -> None:
    a, b, c = (server.client.count("t") for _ in range(3))
    server.answer(1, code="no_such_table", message="no table t", details={"table": "t"})
    server.answer(2, code="constraint_violation", message="unique")
    server.answer(3, code="from_the_future", message="new")
    error = _failure(a, exc.NoSuchTable)
    assert (error.message, error.details) == ("no table t", {"table": "t"})
    _failure(b, exc.ConstraintViolation)
    assert _failure(c, exc.DriverError).code == "from_the_future"


def test_null_id_error_fails_all_pending(server: _Server) -> None:
    ds = [server.client.ping(), server.client.stats()]
    server.answer(None, code="message_too_large", message="too big")
    for d in ds:
        _failure(d, exc.MessageTooLarge)
    assert server.protocol.pending == 0
    server.sent()
    _failure(server.client.ping(), exc.MessageTooLarge)
    assert server.sent() == []


def test_unknown_id_ignored(server: _Server) -> None:
    d = server.client.ping()
    server.answer(99, "stray")
    server.answer(1, "pong")
    assert _result(d) == "pong"
    assert server.transport.connected


def test_unreadable_response_fails_pending_and_closes(server: _Server) -> None:
    d = server.client.ping()
    server.protocol.dataReceived(b"3:\xff\xff\xff,")
    _failure(d, exc.BadRequest)
    assert server.transport.disconnecting


def test_response_without_result_fails_that_request(server: _Server) -> None:
    a, b = server.client.ping(), server.client.ping()
    server.protocol.dataReceived(_frame({"id": 1}))
    _failure(a, exc.BadRequest)
    assert not b.called


def test_bad_frame_from_server() -> None:
    server = _Server(max_message_size=10)
    d = server.client.ping()
    server.protocol.dataReceived(b"99999:")
    _failure(d, exc.MessageTooLarge)
    assert server.transport.disconnecting


def test_connection_lost_fails_pending_and_later_calls(server: _Server) -> None:
    d = server.client.ping()
    server.lose()
    error = _failure(d, exc.ConnectionLost)
    assert "connection to the driver closed" in error.message
    server.sent()
    _failure(server.client.ping(), exc.ConnectionLost)
    assert server.sent() == []
    assert _result(server.client.close()) is None


def test_close_fires_when_lost(server: _Server) -> None:
    d = server.client.close()
    assert server.transport.disconnecting and not d.called
    server.lose()
    assert _result(d) is None


def test_cancel_forgets_the_request(server: _Server) -> None:
    d = server.client.ping()
    d.cancel()
    _failure(d, Exception)
    server.answer(1, "pong")
    assert server.protocol.pending == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.insert("bad name", {"a": 1}),
        lambda c: c.insert("t", {}),
        lambda c: c.update("t", None, {"a": 1}),
        lambda c: c.delete("t"),
        lambda c: c.select("t", limit=-1),
        lambda c: c.execute("COMMIT"),
        lambda c: c.batch([{"method": "ping"}]),
        lambda c: c.insert("t", {"a": object()}),
    ],
)
def test_local_validation(server: _Server, call: Any) -> None:
    _failure(call(server.client), exc.InvalidParams)
    assert server.transport.value() == b""


def test_unknown_method_is_sent(server: _Server) -> None:
    d = server.protocol.call("frobnicate", {"x": 1})
    assert server.sent() == [{"id": 1, "method": "frobnicate", "params": {"x": 1}}]
    server.answer(1, code="unknown_method", message="unknown method")
    _failure(d, exc.UnknownMethod)


def test_minimal_params(server: _Server) -> None:
    c = server.client
    c.update("t", None, {"a": 1}, all_rows=True)
    c.update("t", {"id": 1}, {"a": 1})
    c.delete("t", {"id": 1})
    c.create_table({"name": "t", "columns": [{"name": "id", "type": "integer"}]})
    c.insert("t", {"a": 1}, returning=("id",))
    c.batch(
        [InsertRequest("t", {"a": 1}), {"method": "count", "params": {"table": "t"}}]
    )
    params = [m.get("params") for m in server.sent()]
    assert params == [
        {"table": "t", "data": {"a": 1}, "all_rows": True},
        {"table": "t", "where": {"id": 1}, "data": {"a": 1}},
        {"table": "t", "where": {"id": 1}},
        {"schema": {"name": "t", "columns": [{"name": "id", "type": "integer"}]}},
        {"table": "t", "data": {"a": 1}, "returning": ["id"]},
        {
            "operations": [
                {"method": "insert", "params": {"table": "t", "data": {"a": 1}}},
                {"method": "count", "params": {"table": "t"}},
            ]
        },
    ]


def _run(coro: Any) -> Deferred[Any]:
    return Deferred.fromCoroutine(coro)


def test_transaction_commits_on_success(server: _Server) -> None:
    async def work() -> Any:
        async with server.client.transaction(priority=8) as tx:
            assert tx.transaction_id == "tx1"
            return await tx.insert("t", {"a": 1})

    d = _run(work())
    assert server.sent() == [{"id": 1, "method": "begin_transaction", "priority": 8}]
    server.answer(1, "tx1")
    assert server.sent() == [
        {
            "id": 2,
            "method": "insert",
            "params": {"table": "t", "data": {"a": 1}},
            "priority": 8,
            "transaction_id": "tx1",
        }
    ]
    server.answer(2, 7)
    assert server.sent() == [
        {
            "id": 3,
            "method": "commit_transaction",
            "params": {"transaction_id": "tx1"},
            "priority": 8,
            "transaction_id": "tx1",
        }
    ]
    assert not d.called
    server.answer(3, True)
    assert _result(d) == 7


def test_transaction_rolls_back_on_exception(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.insert("t", {"a": 1})

    d = _run(work())
    server.answer(1, "tx1")
    server.answer(2, code="constraint_violation", message="unique")
    (rollback,) = server.sent()[2:]
    assert rollback["method"] == "rollback_transaction"
    assert rollback["params"] == {"transaction_id": "tx1"}
    server.answer(3, True)
    _failure(d, exc.ConstraintViolation)


def test_rollback_of_vanished_transaction_reraises_original(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.count("t")

    d = _run(work())
    server.answer(1, "tx1")
    server.answer(2, code="timeout", message="deadline passed")
    server.answer(3, code="unknown_transaction", message="gone")
    _failure(d, exc.RequestTimeout)


def test_transaction_rolls_back_on_plain_exception(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction():
            raise KeyError("boom")

    d = _run(work())
    server.answer(1, "tx1")
    assert server.sent()[-1]["method"] == "rollback_transaction"
    server.answer(2, True)
    _failure(d, KeyError)


def test_explicit_commit_then_calls_fail_locally(server: _Server) -> None:
    tx = _result(_begun(server))
    d = tx.commit()
    server.answer(2, True)
    assert _result(d) is True
    server.sent()
    _failure(tx.ping(), exc.UnknownTransaction)
    _failure(tx.rollback(), exc.UnknownTransaction)
    assert server.sent() == []


def test_explicit_rollback_inside_block_is_not_repeated(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.rollback()

    d = _run(work())
    server.answer(1, "tx1")
    server.answer(2, True)
    assert _result(d) is None
    assert [m["method"] for m in server.sent()] == [
        "begin_transaction",
        "rollback_transaction",
    ]


def test_calls_before_begin_fail_locally(server: _Server) -> None:
    tx = server.client.transaction()
    assert tx.transaction_id is None
    _failure(tx.ping(), exc.UnknownTransaction)
    assert server.sent() == []


def _begun(server: _Server) -> Deferred[Any]:
    d = server.client.transaction().begin()
    server.answer(1, "tx1")
    return d


def test_connect_endpoint() -> None:
    class Endpoint:
        def connect(self, factory: Any) -> Deferred[Any]:
            protocol = factory.buildProtocol(None)
            protocol.makeConnection(StringTransport())
            return succeed(protocol)

    client = _result(connect_endpoint(Endpoint(), max_message_size=1234))
    assert isinstance(client, DriverClient)
    assert client.protocol.MAX_LENGTH == 1234
