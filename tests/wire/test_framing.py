"""
L{NetstringFraming}: how it groups the frames it writes while handling a
read (the first goes out at once, so the peer can start on it, then groups
of 2, 4, ... up to L{FLUSH_EVERY}, and whatever is left when the read is
handled), how it reads frames, refuses broken ones, and yields the reactor
after a turn.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from twisted.internet.testing import StringTransport

from dbdriver.exceptions import BadFrame, DriverError, MessageTooLarge
from dbdriver.wire import framing
from dbdriver.wire.framing import FLUSH_EVERY, NetstringFraming


class _Transport:
    """Counts the frames buffered at each flush (C{doWrite})."""

    disconnecting = False

    def __init__(self) -> None:
        self.buffered = 0
        self.flushes: list[int] = []

    def writeSequence(self, data: Any) -> None:
        self.buffered += 1

    def doWrite(self) -> None:
        self.flushes.append(self.buffered)
        self.buffered = 0


class _Answers(NetstringFraming):
    """Answers each frame that arrives with C{int(frame)} frames."""

    def stringReceived(self, string: bytes) -> None:
        for _ in range(int(string)):
            self.send_frame(b"x")


def _frame(payload: bytes) -> bytes:
    return b"%d:%s," % (len(payload), payload)


@pytest.mark.parametrize(
    "answers, groups",
    [
        (1, [1]),
        (3, [1, 2]),
        (8, [1, 2, 4, 1]),
        (40, [1, 2, 4, 8, 16, 9]),
        (70, [1, 2, 4, 8, 16, 16, 16, 7]),
    ],
)
def test_groups_double_up_to_the_limit(answers: int, groups: list[int]) -> None:
    assert FLUSH_EVERY == 16
    protocol, transport = _Answers(), _Transport()
    protocol.makeConnection(transport)
    protocol.dataReceived(_frame(b"%d" % answers))
    assert transport.flushes == groups
    # the next read starts again with one frame at once
    protocol.dataReceived(_frame(b"3") + _frame(b"2"))
    assert transport.flushes[len(groups) :] == [1, 2, 2]


def test_frames_outside_a_read_go_out_one_by_one() -> None:
    protocol, transport = _Answers(), _Transport()
    protocol.makeConnection(transport)
    for _ in range(3):
        protocol.send_frame(b"y")
    assert transport.flushes == [1, 1, 1]


class _Frames(NetstringFraming):
    """Keeps the frames and the framing errors it gets."""

    MAX_LENGTH = 100

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.errors: list[DriverError] = []
        self.made = 0

    def connectionMade(self) -> None:
        self.made += 1

    def stringReceived(self, string: bytes) -> None:
        self.frames.append(string)

    def frameError(self, error: DriverError) -> None:
        self.errors.append(error)
        super().frameError(error)


def _connected() -> tuple[_Frames, StringTransport]:
    protocol, transport = _Frames(), StringTransport()
    protocol.makeConnection(transport)
    return protocol, transport


def test_make_connection_sets_the_transport_and_calls_connection_made() -> None:
    protocol, transport = _connected()
    assert (protocol.transport, protocol.connected, protocol.made) == (transport, 1, 1)


def test_frames_split_anywhere_between_reads() -> None:
    protocol, _ = _connected()
    data = _frame(b"") + _frame(b"abc") + _frame(b"x" * 100)
    for i in range(len(data)):
        protocol.dataReceived(data[i : i + 1])
    assert protocol.frames == [b"", b"abc", b"x" * 100]
    assert protocol.errors == []


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"x:", BadFrame, "malformed netstring length"),
        (b"1x", BadFrame, "malformed netstring length"),
        (b"01:a,", BadFrame, "malformed netstring length"),
        (b"-1:", BadFrame, "malformed netstring length"),
        (b"3:abc;", BadFrame, "netstring does not end with a comma"),
        (b"101:", MessageTooLarge, "frame exceeds the limit of 100 bytes"),
        (b"1000", MessageTooLarge, "frame exceeds the limit of 100 bytes"),
    ],
)
def test_broken_frames(data: bytes, error: type[DriverError], message: str) -> None:
    protocol, transport = _connected()
    protocol.dataReceived(_frame(b"ok") + data)
    (refusal,) = protocol.errors
    assert (type(refusal), refusal.message) == (error, message)
    assert protocol.frames == [b"ok"]
    assert transport.disconnecting  # the default frameError closes
    protocol.dataReceived(_frame(b"later"))
    assert protocol.frames == [b"ok"] and len(protocol.errors) == 1


def test_too_large_says_the_length_when_it_knows_it() -> None:
    protocol, _ = _connected()
    protocol.dataReceived(b"101:")
    assert protocol.errors[0].details == {"limit": 100, "length": 101}
    protocol, _ = _connected()
    protocol.dataReceived(b"99999")
    assert protocol.errors[0].details == {"limit": 100, "length": None}


def test_a_subclass_must_read_frames() -> None:
    protocol = NetstringFraming()
    protocol.makeConnection(StringTransport())
    with pytest.raises(NotImplementedError):
        protocol.dataReceived(_frame(b"a"))


class _Later:
    """A reactor that keeps what it is asked to call later."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def callLater(self, delay: float, f: Any, *args: Any) -> None:
        assert delay == 0
        self.calls.append(lambda: f(*args))

    def turn(self) -> None:
        (call,) = self.calls
        self.calls.clear()
        call()


def test_a_turn_yields_to_the_reactor(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count()
    monkeypatch.setattr(framing.time, "perf_counter", lambda: float(next(ticks)))
    protocol, transport = _connected()
    protocol.TURN = 0.5  # every frame takes a tick: one frame per turn
    protocol.clock = reactor = _Later()
    protocol.dataReceived(_frame(b"a") + _frame(b"b") + _frame(b"c"))
    assert protocol.frames == [b"a"]
    assert transport.producerState == "paused"
    reactor.turn()
    assert protocol.frames == [b"a", b"b"]
    assert transport.producerState == "paused"
    reactor.turn()
    assert protocol.frames == [b"a", b"b", b"c"]
    assert transport.producerState == "producing"
    assert reactor.calls == []


def test_no_turn_after_the_connection_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count()
    monkeypatch.setattr(framing.time, "perf_counter", lambda: float(next(ticks)))
    protocol, transport = _connected()
    protocol.TURN = 0.5
    protocol.clock = reactor = _Later()
    protocol.dataReceived(_frame(b"a") + _frame(b"b"))
    transport.disconnected = True
    reactor.turn()
    assert protocol.frames == [b"a"]


class _Fragile(NetstringFraming):
    """Records each frame and raises on C{b"bad"}."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def stringReceived(self, string: bytes) -> None:
        self.seen.append(string)
        if string == b"bad":
            raise ValueError("boom")


def test_a_frame_whose_handling_raises_is_never_handled_again() -> None:
    """
    Issue 12, defect 1: the frames handled before the one that raised are
    consumed, so the next read does not hand them over a second time.
    """
    receiver = _Fragile()
    receiver.makeConnection(StringTransport())
    with pytest.raises(ValueError):
        receiver.dataReceived(_frame(b"a") + _frame(b"bad") + _frame(b"b"))
    receiver.dataReceived(_frame(b"c"))
    assert receiver.seen == [b"a", b"bad", b"b", b"c"]
