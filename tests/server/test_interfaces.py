"""
L{dbdriver.server.interfaces}: the concrete server classes structurally
provide the Protocols the other parts program against (L{IConnection},
L{IRequestSink}, L{IAnswers}), checked member by member with
C{inspect.signature}; and L{Work} holds what it is given.
"""

from __future__ import annotations

import attrs
import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from dbdriver.drivers.sqlite.driver import SQLiteDriver
from dbdriver.requests.methods import parse_request
from dbdriver.server.config import Config
from dbdriver.server.interfaces import IAnswers, IConnection, IRequestSink, Work
from dbdriver.server.rpc_protocol import DriverServerProtocol
from dbdriver.server.rpc_server import DriverServer
from dbdriver.wire.envelope import Envelope
from tests.support.structural import members, mismatches


def _server() -> DriverServer:
    clock = Clock()
    config = Config(database=":memory:")
    return DriverServer(config, SQLiteDriver(config, clock), clock)


def _protocol() -> DriverServerProtocol:
    protocol = DriverServerProtocol(_server(), Clock(), 1000)
    protocol.makeConnection(StringTransport())
    return protocol


def test_the_protocols_declare_what_the_server_relies_on() -> None:
    assert set(members(IConnection)) == {
        "connected_",
        "send_result",
        "send_payload",
        "__hash__",
        "close",
    }
    assert set(members(IRequestSink)) == {
        "connection_made",
        "connection_lost",
        "count_rejected",
        "submit",
    }
    assert set(members(IAnswers)) == {"stopping", "finish_for", "answer"}


def test_driver_server_protocol_is_a_connection() -> None:
    protocol = _protocol()
    assert mismatches(IConnection, protocol) == []
    assert protocol.connected_ is True
    assert {protocol: 1}[protocol] == 1  # keys the queue's bookkeeping


@pytest.mark.parametrize("protocol", [IRequestSink, IAnswers])
def test_driver_server_is_a_sink_and_takes_answers(protocol: type) -> None:
    assert mismatches(protocol, _server()) == []


def test_the_check_finds_what_is_missing_or_wrong() -> None:
    class Broken:
        connected_ = True
        __hash__ = None  # type: ignore[assignment]

        def send_result(self, result, extra):  # type: ignore[no-untyped-def]
            pass

        def send_payload(self, data):  # type: ignore[no-untyped-def]
            pass

    problems = mismatches(IConnection, Broken())
    assert sorted(p.split(":")[0] for p in problems) == [
        "__hash__",
        "close",
        "send_payload",
        "send_result",
    ]

    class Stopping:
        def stopping(self) -> bool:
            return False

    assert "stopping: a method where a value is declared" in mismatches(
        IAnswers, Stopping()
    )


def _envelope(request_id: int = 3) -> Envelope:
    return Envelope(request_id, parse_request("ping", None))


def test_work_holds_what_it_is_given() -> None:
    protocol = _protocol()
    envelope = _envelope()
    work = Work(protocol, envelope, "tx", "cursor-1")
    assert (work.protocol, work.envelope) == (protocol, envelope)
    assert (work.transaction_id, work.session) == ("tx", "cursor-1")
    plain = Work(protocol, envelope, None)
    assert plain.session is None
    assert plain.transaction_id is None


def test_work_is_compared_by_identity_and_has_no_other_fields() -> None:
    protocol, envelope = _protocol(), _envelope()
    first = Work(protocol, envelope, None)
    second = Work(protocol, envelope, None)
    assert first != second  # two requests alike are still two requests
    assert len({first, second}) == 2
    assert [f.name for f in attrs.fields(Work)] == [
        "protocol",
        "envelope",
        "transaction_id",
        "session",
    ]
    with pytest.raises(AttributeError):
        first.priority = 9  # type: ignore[attr-defined]
