"""
How L{NetstringFraming} groups the frames it writes while handling a read:
the first goes out at once (the peer can start on it), then groups of 2, 4,
... up to L{FLUSH_EVERY}, and whatever is left when the read is handled.
"""

from __future__ import annotations

from typing import Any

import pytest

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
