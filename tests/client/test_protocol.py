"""Unit tests of L{dbdriver.client.protocol}: the server is played by feeding frames."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from dbdriver import exceptions as exc
from dbdriver.client.api import DriverClient, connect_endpoint
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientFactory,
    DriverClientProtocol,
)
from dbdriver.requests.methods import InsertRequest
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.framing import NetstringFraming

_T = {"table": "t"}
_W = {"id": 1}
_ROW = {"table": "t", "data": {"a": 1}}
_SCHEMA = {"name": "t", "columns": [{"name": "id", "type": "integer"}]}
_TX = {"transaction_id": "x"}
_TX1 = {"transaction_id": "tx1"}
_SEL = {"columns": ["a"], "order_by": ["a"], "offset": 0}
_RET = {"returning": ("id",)}
_ALL = {"all_rows": True}


class _Reader(NetstringFraming):
    """Reads the frames the client wrote."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def stringReceived(self, string: bytes) -> None:
        self.messages.append(decode_payload(string))


def _frame(message: Any) -> bytes:
    payload = encode(message)
    return b"%d:%s," % (len(payload), payload)


class _Server:
    """The far end of one client connection."""

    def __init__(self, max_message_size: int = DEFAULT_CLIENT_MAX_MESSAGE_SIZE) -> None:
        factory = DriverClientFactory(max_message_size)
        self.protocol: DriverClientProtocol = factory.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.client = DriverClient(self.protocol)
        self._reader = _Reader()
        self._reader.makeConnection(StringTransport())

    def sent(self) -> list[Any]:
        """The requests written since the last call."""
        data = self.transport.value()
        self.transport.clear()
        self._reader.messages.clear()
        self._reader.dataReceived(data)
        return list(self._reader.messages)

    def answer(self, request_id: int | None, result: Any = None, **error: Any) -> None:
        body = {"error": error} if error else {"result": result}
        self.protocol.dataReceived(_frame({"id": request_id, **body}))

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
    server.client.count("t", priority=7, timeout=1.5)
    server.protocol.call("count", {"table": "t"}, transaction_id="tx1")
    assert server.sent() == [
        {"id": 1, "method": "ping"},
        {"id": 2, "method": "count", "params": _T, "priority": 7, "timeout": 1.5},
        {"id": 3, "method": "count", "params": _T, "transaction_id": "tx1"},
    ]
    assert server.protocol.pending == 3


def test_frame_bytes(server: _Server) -> None:
    server.client.list_tables()
    assert server.transport.value() == _frame({"id": 1, "method": "list_tables"})


def test_pipelined_responses_out_of_order(server: _Server) -> None:
    ds = [server.client.count("t", {"n": i}) for i in range(3)]
    server.protocol.dataReceived(
        _frame({"id": 3, "result": 30}) + _frame({"id": 1, "result": 10})
    )
    assert _result(ds[0]) == 10 and _result(ds[2]) == 30
    assert not ds[1].called
    server.answer(2, 20)
    assert _result(ds[1]) == 20
    assert server.protocol.pending == 0


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


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "params"),
    [
        ("server_info", (), {}, None),
        ("stats", (), {}, None),
        ("create_table", (_SCHEMA,), {}, {"schema": _SCHEMA}),
        ("drop_table", ("t", True), {}, {**_T, "if_exists": True}),
        ("get_table_info", ("t",), {}, _T),
        ("insert", ("t", {"a": 1}), _RET, {**_ROW, "returning": ["id"]}),
        ("insert_many", ("t", [{"a": 1}]), {}, {**_T, "rows": [{"a": 1}]}),
        ("update", ("t", None, {"a": 1}), _ALL, {**_ROW, **_ALL}),
        ("update", ("t", _W, {"a": 1}), {}, {**_T, "where": _W, "data": {"a": 1}}),
        ("delete", ("t", _W), {}, {**_T, "where": _W}),
        ("select", ("t",), _SEL, {**_T, **_SEL}),
        ("execute", ("SELECT ?", (1,)), {}, {"sql": "SELECT ?", "params": [1]}),
        ("commit_transaction", ("x",), {}, _TX),
        ("rollback_transaction", ("x",), {}, _TX),
        ("sync_schema", ({"tables": []},), {}, {"schema_definition": {"tables": []}}),
        ("open_cursor", ("t", _W), {}, {**_T, "where": _W}),
        ("fetch", ("c1", 10), {}, {"cursor_id": "c1", "size": 10}),
        ("close_cursor", ("c1",), {}, {"cursor_id": "c1"}),
    ],
)
def test_method_params(
    server: _Server, name: str, args: Any, kwargs: Any, params: Any
) -> None:
    """Each method sends its protocol name and only the params that are set."""
    getattr(server.client, name)(*args, **kwargs)
    (message,) = server.sent()
    assert (message["method"], message.get("params")) == (name, params)


def test_batch_params(server: _Server) -> None:
    count = {"method": "count", "params": _T}
    server.client.batch([InsertRequest("t", {"a": 1}), count])
    ops = [{"method": "insert", "params": _ROW}, count]
    assert server.sent() == [
        {"id": 1, "method": "transaction", "params": {"operations": ops}}
    ]


def test_transaction_commits_on_success(server: _Server) -> None:
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
    assert _result(d) == 7


def test_transaction_rolls_back_on_exception(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.insert("t", {"a": 1})

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="constraint_violation", message="unique")
    rollback = server.sent()[2]
    assert rollback["method"] == "rollback_transaction" and rollback["params"] == _TX1
    server.answer(3, True)
    _failure(d, exc.ConstraintViolation)


def test_rollback_of_vanished_transaction_reraises_original(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction() as tx:
            await tx.count("t")

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="timeout", message="deadline passed")
    server.answer(3, code="unknown_transaction", message="gone")
    _failure(d, exc.RequestTimeout)


def test_transaction_rolls_back_on_plain_exception(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction():
            raise KeyError("boom")

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    assert server.sent()[-1]["method"] == "rollback_transaction"
    server.answer(2, True)
    _failure(d, KeyError)


def test_failed_commit_rolls_back_and_reraises(server: _Server) -> None:
    async def work() -> None:
        async with server.client.transaction(timeout=2):
            pass

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, code="queue_full", message="full")
    rollback = server.sent()[-1]
    assert (rollback["method"], rollback["timeout"]) == ("rollback_transaction", 2)
    server.answer(3, True)
    _failure(d, exc.QueueFull)


def test_failed_begin(server: _Server) -> None:
    tx = server.client.transaction()
    _failure(tx.ping(), exc.UnknownTransaction)
    assert tx.transaction_id is None and server.sent() == []
    d = tx.begin()
    server.answer(1, code="busy", message="locked")
    _failure(d, exc.Busy)
    _failure(tx.count("t"), exc.UnknownTransaction)
    _failure(tx.begin(), RuntimeError)


def test_explicit_commit_then_calls_fail_locally(server: _Server) -> None:
    begin = server.client.transaction().begin()
    server.answer(1, "tx1")
    tx = _result(begin)
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

    d = Deferred.fromCoroutine(work())
    server.answer(1, "tx1")
    server.answer(2, True)
    assert _result(d) is None
    methods = [m["method"] for m in server.sent()]
    assert methods == ["begin_transaction", "rollback_transaction"]


def test_connect_endpoint() -> None:
    class Endpoint:
        def connect(self, factory: Any) -> Deferred[Any]:
            protocol = factory.buildProtocol(None)
            protocol.makeConnection(StringTransport())
            return succeed(protocol)

    client = _result(connect_endpoint(Endpoint(), max_message_size=1234))
    assert isinstance(client, DriverClient)
    assert client.protocol.MAX_LENGTH == 1234
