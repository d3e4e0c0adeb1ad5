"""
Unit tests of L{dbdriver.client.protocol}: the server is played by feeding
frames (L{tests.support.client.FakeServer}).
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.testing import StringTransport

from dbdriver import exceptions as exc
from dbdriver.client.protocol import (
    DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
    DriverClientFactory,
    DriverClientProtocol,
)
from tests.support.client import FakeServer, failure_of, frame, result_of

_T = {"table": "t"}


def test_request_framing_and_ids(server: FakeServer) -> None:
    server.client.ping()
    server.client.count("t", priority=7, timeout=1.5)
    server.protocol.call("count", {"table": "t"}, transaction_id="tx1")
    assert server.sent() == [
        {"id": 1, "method": "ping"},
        {"id": 2, "method": "count", "params": _T, "priority": 7, "timeout": 1.5},
        {"id": 3, "method": "count", "params": _T, "transaction_id": "tx1"},
    ]
    assert server.protocol.pending == 3


def test_frame_bytes(server: FakeServer) -> None:
    server.client.list_tables()
    assert server.transport.value() == frame({"id": 1, "method": "list_tables"})


def test_pipelined_responses_out_of_order(server: FakeServer) -> None:
    ds = [server.client.count("t", {"n": i}) for i in range(3)]
    server.protocol.dataReceived(
        frame({"id": 3, "result": 30}) + frame({"id": 1, "result": 10})
    )
    assert result_of(ds[0]) == 10 and result_of(ds[2]) == 30
    assert not ds[1].called
    server.answer(2, 20)
    assert result_of(ds[1]) == 20
    assert server.protocol.pending == 0


def test_error_mapping(server: FakeServer) -> None:
    a, b, c = (server.client.count("t") for _ in range(3))
    server.answer(1, code="no_such_table", message="no table t", details={"table": "t"})
    server.answer(2, code="constraint_violation", message="unique")
    server.answer(3, code="from_the_future", message="new")
    error = failure_of(a, exc.NoSuchTable)
    assert (error.message, error.details) == ("no table t", {"table": "t"})
    failure_of(b, exc.ConstraintViolation)
    assert failure_of(c, exc.DriverError).code == "from_the_future"


def test_null_id_error_fails_all_pending(server: FakeServer) -> None:
    ds = [server.client.ping(), server.client.stats()]
    server.answer(None, code="message_too_large", message="too big")
    for d in ds:
        failure_of(d, exc.MessageTooLarge)
    assert server.protocol.pending == 0
    server.sent()
    failure_of(server.client.ping(), exc.MessageTooLarge)
    assert server.sent() == []


def test_unknown_id_ignored(server: FakeServer) -> None:
    d = server.client.ping()
    server.answer(99, "stray")
    server.answer(1, "pong")
    assert result_of(d) == "pong"
    assert server.transport.connected


def test_unreadable_response_fails_pending_and_closes(server: FakeServer) -> None:
    d = server.client.ping()
    server.protocol.dataReceived(b"3:\xff\xff\xff,")
    failure_of(d, exc.BadRequest)
    assert server.transport.disconnecting


def test_response_without_result_fails_that_request(server: FakeServer) -> None:
    a, b = server.client.ping(), server.client.ping()
    server.protocol.dataReceived(frame({"id": 1}))
    failure_of(a, exc.BadRequest)
    assert not b.called


def test_bad_frame_from_server() -> None:
    server = FakeServer(max_message_size=10)
    d = server.client.ping()
    server.protocol.dataReceived(b"99999:")
    failure_of(d, exc.MessageTooLarge)
    assert server.transport.disconnecting


def test_connection_lost_fails_pending_and_later_calls(server: FakeServer) -> None:
    d = server.client.ping()
    server.lose()
    error = failure_of(d, exc.ConnectionLost)
    assert "connection to the driver closed" in error.message
    server.sent()
    failure_of(server.client.ping(), exc.ConnectionLost)
    assert server.sent() == []
    assert result_of(server.client.close()) is None


def test_close_fires_when_lost(server: FakeServer) -> None:
    d = server.client.close()
    assert server.transport.disconnecting and not d.called
    server.lose()
    assert result_of(d) is None


def test_cancel_forgets_the_request(server: FakeServer) -> None:
    d = server.client.ping()
    d.cancel()
    failure_of(d, Exception)
    server.answer(1, "pong")
    assert server.protocol.pending == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.insert("bad name", {"a": 1}),
        lambda c: c.insert("t", []),  # type: ignore[arg-type]
        lambda c: c.update("t", None, {"a": 1}),
        lambda c: c.delete("t"),
        lambda c: c.select("t", limit=-1),
        lambda c: c.execute("COMMIT"),
        lambda c: c.batch([{"method": "ping"}]),
        lambda c: c.insert("t", {"a": object()}),
    ],
)
def test_local_validation(server: FakeServer, call: Any) -> None:
    failure_of(call(server.client), exc.InvalidParams)
    assert server.transport.value() == b""


def test_unknown_method_is_sent(server: FakeServer) -> None:
    d = server.protocol.call("frobnicate", {"x": 1})
    assert server.sent() == [{"id": 1, "method": "frobnicate", "params": {"x": 1}}]
    server.answer(1, code="unknown_method", message="unknown method")
    failure_of(d, exc.UnknownMethod)


def test_the_factory_builds_connections_of_its_size() -> None:
    factory = DriverClientFactory(1234)
    protocol = factory.buildProtocol(None)
    assert isinstance(protocol, DriverClientProtocol)
    assert (protocol.MAX_LENGTH, protocol.factory) == (1234, factory)
    assert DriverClientFactory().buildProtocol(None).MAX_LENGTH == (
        DEFAULT_CLIENT_MAX_MESSAGE_SIZE
    )


def test_a_call_before_the_connection_is_made() -> None:
    protocol = DriverClientProtocol()
    error = failure_of(protocol.call("ping"), exc.ConnectionLost)
    assert error.message == "connection to the driver not open"
    assert result_of(protocol.close()) is None


def test_a_request_that_cannot_be_encoded(server: FakeServer) -> None:
    error = failure_of(
        server.protocol.call("frobnicate", {"x": object()}), exc.InvalidParams
    )
    assert error.message.startswith("frobnicate: cannot encode: ")
    assert server.sent() == [] and server.protocol.pending == 0


def test_a_check_that_fails_unexpectedly_is_invalid_params(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbdriver.requests.methods import PingRequest

    def broken(params: object) -> None:
        raise ValueError("no")

    monkeypatch.setattr(PingRequest, "from_params", broken)
    error = failure_of(server.protocol.call("ping"), exc.InvalidParams)
    assert error.message == "ping: no"


def test_an_error_for_an_unreadable_response_to_a_pending_id(
    server: FakeServer,
) -> None:
    a, b = server.client.ping(), server.client.ping()
    server.protocol.dataReceived(frame({"id": 2, "error": {"code": 1}}))
    failure_of(b, exc.BadRequest)
    assert not a.called and not server.transport.disconnecting


def test_a_connection_error_that_does_not_close(server: FakeServer) -> None:
    d = server.client.ping()
    server.answer(None, code="shutting_down", message="bye")
    failure_of(d, exc.ShuttingDown)
    server.client.ping()
    assert len(server.sent()) == 2  # later calls are still sent


def test_connection_lost_without_a_reason() -> None:
    protocol = DriverClientProtocol()
    protocol.makeConnection(StringTransport())
    d = protocol.call("ping")
    protocol.connectionLost(None)
    error = failure_of(d, exc.ConnectionLost)
    assert error.message == "connection to the driver closed: closed"


def test_requests_fail_with_a_fresh_exception_each(server: FakeServer) -> None:
    ds = [server.client.ping() for _ in range(2)]
    server.answer(None, code="bad_frame", message="broken")
    one, two = (failure_of(d, exc.BadFrame) for d in ds)
    assert one is not two and one.message == two.message == "broken"
    later: Any = failure_of(server.client.ping(), exc.BadFrame)
    assert later is not one
