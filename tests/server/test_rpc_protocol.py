"""
L{dbdriver.server.rpc_protocol.DriverServerProtocol} on its own, over a
C{StringTransport} with a recording L{IRequestSink} and a C{Clock}: frames
in become L{Envelope}s submitted to the sink, a malformed envelope is
answered with its code (and its id when readable) on an open connection,
broken framing is answered once and closes, and results go out as frames.
(tests/server/test_driver_rpc_server.py checks the same codes end to end.)
"""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from dbdriver.exceptions import Busy
from dbdriver.requests.methods import CountRequest, PingRequest
from dbdriver.server.interfaces import IConnection, IRequestSink
from dbdriver.server.rpc_protocol import DriverServerProtocol
from dbdriver.wire import envelope
from dbdriver.wire.cbor import response
from dbdriver.wire.envelope import Envelope, decode_payload
from dbdriver.wire.framing import NetstringFraming
from dbdriver.wire.results import ErrorResult, SuccessResult
from tests.support.structural import mismatches


class RecordingSink:
    """An L{IRequestSink} that records what the protocol hands it."""

    def __init__(self) -> None:
        self.made: list[IConnection] = []
        self.lost: list[IConnection] = []
        self.rejected = 0
        self.submitted: list[tuple[IConnection, Envelope]] = []

    def connection_made(self, protocol: IConnection) -> None:
        self.made.append(protocol)

    def connection_lost(self, protocol: IConnection) -> None:
        self.lost.append(protocol)

    def count_rejected(self) -> None:
        self.rejected += 1

    def submit(self, protocol: IConnection, envelope: Envelope) -> None:
        self.submitted.append((protocol, envelope))


class _Reader(NetstringFraming):
    MAX_LENGTH = 1 << 30

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def stringReceived(self, string: bytes) -> None:
        self.messages.append(decode_payload(string))


class Peer:
    """One connection: the protocol, its transport, the sink, the clock."""

    def __init__(self, max_message_size: int = 1000) -> None:
        self.sink = RecordingSink()
        self.clock = Clock()
        self.protocol = DriverServerProtocol(self.sink, self.clock, max_message_size)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)

    def send(self, *messages: Any) -> None:
        self.protocol.dataReceived(b"".join(frame(m) for m in messages))

    def answers(self) -> list[Any]:
        data = self.transport.value()
        self.transport.clear()
        reader = _Reader()
        reader.makeConnection(StringTransport())
        reader.dataReceived(data)
        assert reader._buffer == b"", "a partial frame was written"
        return reader.messages


def frame(message: Any) -> bytes:
    payload = message if isinstance(message, bytes) else cbor2.dumps(message)
    return b"%d:%s," % (len(payload), payload)


@pytest.fixture
def peer() -> Peer:
    return Peer()


def test_the_recording_sink_is_a_request_sink() -> None:
    assert mismatches(IRequestSink, RecordingSink()) == []


def test_connection_made_and_lost_reach_the_sink(peer: Peer) -> None:
    assert peer.sink.made == [peer.protocol]
    assert peer.protocol.connected_ is True
    peer.protocol.connectionLost(Failure(ConnectionError("gone")))
    assert peer.sink.lost == [peer.protocol]
    assert peer.protocol.connected_ is False


def test_frames_in_become_envelopes_in_order(peer: Peer) -> None:
    peer.send(
        {"id": 1, "method": "ping"},
        {
            "id": 2,
            "method": "count",
            "params": {"table": "t"},
            "priority": 9,
            "timeout": 1.5,
            "transaction_id": "tx",
        },
    )
    assert [p for p, _ in peer.sink.submitted] == [peer.protocol] * 2
    first, second = (e for _, e in peer.sink.submitted)
    assert first.request_id == 1
    assert isinstance(first.request, PingRequest)
    assert (first.priority, first.timeout, first.transaction_id) == (5, None, None)
    assert second.request_id == 2
    assert isinstance(second.request, CountRequest)
    assert (second.priority, second.timeout, second.transaction_id) == (9, 1.5, "tx")
    assert peer.answers() == []  # the protocol answers nothing itself
    assert peer.sink.rejected == 0


def test_a_frame_split_across_reads_is_submitted_once_whole(peer: Peer) -> None:
    data = frame({"id": 4, "method": "ping"})
    for i in range(len(data)):
        assert peer.sink.submitted == []
        peer.protocol.dataReceived(data[i : i + 1])
    assert [e.request_id for _, e in peer.sink.submitted] == [4]


MALFORMED = [
    ([1, 2], None, "bad_request"),
    (b"\xff", None, "bad_request"),
    ({"method": "ping"}, None, "bad_request"),
    ({"id": "7", "method": "ping"}, None, "bad_request"),
    ({"id": 7}, 7, "bad_request"),
    ({"id": 7, "method": "ping", "extra": True}, 7, "bad_request"),
    ({"id": 7, "method": "nope"}, 7, "unknown_method"),
    ({"id": 7, "method": "count", "params": {}}, 7, "invalid_params"),
]


@pytest.mark.parametrize(("message", "request_id", "code"), MALFORMED)
def test_a_malformed_envelope_is_answered_and_the_connection_stays(
    peer: Peer, message: Any, request_id: int | None, code: str
) -> None:
    peer.send(message)
    [answer] = peer.answers()
    assert answer["id"] == request_id
    assert answer["error"]["code"] == code
    assert peer.sink.submitted == []
    assert peer.sink.rejected == 1
    assert not peer.transport.disconnecting
    peer.send({"id": 8, "method": "ping"})  # the next frame is read as usual
    assert [e.request_id for _, e in peer.sink.submitted] == [8]


def test_good_and_bad_frames_in_one_read(peer: Peer) -> None:
    peer.send({"id": 1, "method": "ping"}, {"id": 2}, {"id": 3, "method": "ping"})
    assert [e.request_id for _, e in peer.sink.submitted] == [1, 3]
    assert [a["id"] for a in peer.answers()] == [2]
    assert peer.sink.rejected == 1


@pytest.mark.parametrize("data", [b"x:", b"3:abcX", b"01:a,", b"-1:a,"])
def test_broken_framing_answers_once_and_closes(peer: Peer, data: bytes) -> None:
    peer.protocol.dataReceived(frame({"id": 1, "method": "ping"}) + data)
    assert [e.request_id for _, e in peer.sink.submitted] == [1]
    [answer] = peer.answers()
    assert answer["id"] is None
    assert answer["error"]["code"] == "bad_frame"
    assert peer.transport.disconnecting
    peer.send({"id": 2, "method": "ping"}, b"junk")  # nothing more is read
    assert len(peer.sink.submitted) == 1
    assert peer.answers() == []
    assert peer.sink.rejected == 0  # a broken frame is not a request


def test_an_oversize_prefix_is_refused_before_its_payload() -> None:
    peer = Peer(max_message_size=100)
    peer.protocol.dataReceived(b"101:")
    [answer] = peer.answers()
    assert answer == {
        "id": None,
        "error": {
            "code": "message_too_large",
            "message": answer["error"]["message"],
            "details": {"limit": 100, "length": 101},
        },
    }
    assert peer.transport.disconnecting


def test_the_limit_is_the_one_given() -> None:
    peer = Peer(max_message_size=100)
    payload = cbor2.dumps({"id": 1, "method": "ping", "params": {"x": "a" * 60}})
    assert len(payload) <= 100
    peer.protocol.dataReceived(frame(payload))
    assert peer.answers()[0]["error"]["code"] == "invalid_params"  # read, not refused
    assert not peer.transport.disconnecting


def test_results_go_out_as_frames(peer: Peer) -> None:
    peer.protocol.send_result(SuccessResult(5, {"rows": [1, 2]}))
    peer.protocol.send_result(ErrorResult(6, Busy("locked", {"n": 2})))
    peer.protocol.send_payload(response(7, "pong"))
    assert peer.answers() == [
        {"id": 5, "result": {"rows": [1, 2]}},
        {
            "id": 6,
            "error": {"code": "busy", "message": "locked", "details": {"n": 2}},
        },
        {"id": 7, "result": "pong"},
    ]


def test_nothing_is_written_after_the_connection_is_lost(peer: Peer) -> None:
    peer.protocol.connectionLost(Failure(ConnectionError("gone")))
    peer.protocol.send_result(SuccessResult(1, True))
    peer.protocol.send_payload(response(2, True))
    assert peer.transport.value() == b""


def test_close_drops_the_connection(peer: Peer) -> None:
    peer.protocol.close()
    assert peer.transport.disconnecting


def _one_turn(clock: Clock) -> None:
    """Run only the next delayed call (C{Clock.advance(0)} runs every turn)."""
    call = clock.calls.pop(0)
    call.func(*call.args, **call.kw)


def test_a_long_burst_yields_to_the_clock(
    peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    Past its turn the connection pauses its transport and goes on, on the
    clock it was given, with the frames it has already read.
    """
    monkeypatch.setattr(peer.protocol, "TURN", -1.0)  # every turn is over at once
    peer.send(*({"id": i, "method": "ping"} for i in range(1, 4)))
    assert [e.request_id for _, e in peer.sink.submitted] == [1]
    assert peer.transport.producerState == "paused"
    assert len(peer.clock.getDelayedCalls()) == 1
    _one_turn(peer.clock)
    assert [e.request_id for _, e in peer.sink.submitted] == [1, 2]
    assert peer.transport.producerState == "paused"
    _one_turn(peer.clock)
    assert [e.request_id for _, e in peer.sink.submitted] == [1, 2, 3]
    assert peer.transport.producerState == "producing"
    assert peer.clock.getDelayedCalls() == []


def test_a_turn_left_after_the_connection_closed_reads_nothing(
    peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peer.protocol, "TURN", -1.0)
    peer.send({"id": 1, "method": "ping"}, {"id": 2, "method": "ping"})
    peer.transport.loseConnection()
    peer.transport.disconnected = True  # as a real transport says once closed
    peer.clock.advance(0)
    assert [e.request_id for _, e in peer.sink.submitted] == [1]
    assert peer.transport.producerState == "paused"


class _FailingSink(RecordingSink):
    """A sink with a bug: submitting the request with id 2 raises."""

    def submit(self, protocol: IConnection, envelope: Envelope) -> None:
        if envelope.request_id == 2:
            raise KeyError("a bug")
        super().submit(protocol, envelope)


def test_a_bug_behind_the_protocol_is_answered_internal() -> None:
    peer = Peer()
    peer.sink = peer.protocol.server = _FailingSink()
    peer.send(*({"id": i, "method": "ping"} for i in (1, 2, 3)))
    assert peer.answers() == [
        {"id": 2, "error": {"code": "internal", "message": ANY_TEXT}}
    ]
    assert [e.request_id for _, e in peer.sink.submitted] == [1, 3]
    assert not peer.transport.disconnecting


def test_a_bug_in_a_check_is_answered_internal_with_the_id(
    peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_request(method: str, params: object) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr(envelope, "parse_request", parse_request)
    peer.send({"id": 4, "method": "ping"})
    (answer,) = peer.answers()
    assert answer["id"] == 4
    assert answer["error"]["code"] == "internal"
    assert "KeyError" in answer["error"]["message"]
    assert peer.sink.rejected == 1
    assert not peer.transport.disconnecting


class _AnyText:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)


ANY_TEXT = _AnyText()
