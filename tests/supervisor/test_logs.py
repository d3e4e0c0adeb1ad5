"""
L{dbdriver.supervisor.logs}: the child's stderr lines as events of
C{dbdriver.child} at their level, with the child's pid and namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from twisted.logger import LogLevel, globalLogPublisher

from dbdriver.supervisor.logs import ChildLog, parse_line

LINE = "2026-12-02T02:24:51+0000 [dbdriver.server.runner.DriverService#{}] {}"


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def keep(event: dict[str, Any]) -> None:
        if event.get("log_namespace") == "dbdriver.child":
            seen.append(event)

    globalLogPublisher.addObserver(keep)
    yield seen
    globalLogPublisher.removeObserver(keep)


@pytest.mark.parametrize("level", ["debug", "info", "warn", "error", "critical"])
def test_parse_each_level(level: str) -> None:
    namespace, parsed, text = parse_line(LINE.format(level, "a {brace} text"))
    assert namespace == "dbdriver.server.runner.DriverService"
    assert parsed is LogLevel.levelWithName(level)
    assert text == "a {brace} text"


def test_parse_legacy_and_bare_lines() -> None:
    assert parse_line("2026-12-02T02:24:51+0000 [-] Port closed") == (
        "-",
        LogLevel.info,
        "Port closed",
    )
    assert parse_line("Traceback (most recent call last):") == (
        None,
        None,
        "Traceback (most recent call last):",
    )
    assert parse_line("t [x#loud] y") == (None, None, "t [x#loud] y")


def test_lines_become_events(events: list[dict[str, Any]]) -> None:
    log = ChildLog(1234, keep=3)
    log.received(LINE.format("info", "dbdriver ready").encode() + b"\n" + b"half")
    assert len(events) == 1
    log.received(b" a line\n\n")
    log.received(LINE.format("error", "it broke").encode() + b"\n  Traceback")
    log.ended()
    log.ended()  # twice is harmless
    assert [(e["log_level"], e["child_text"]) for e in events] == [
        (LogLevel.info, "dbdriver ready"),
        (LogLevel.warn, "half a line"),  # bare, after info: a warning
        (LogLevel.error, "it broke"),
        (LogLevel.error, "  Traceback"),  # continuation keeps the level
    ]
    assert {e["child_pid"] for e in events} == {1234}
    assert events[0]["child_namespace"] == "dbdriver.server.runner.DriverService"
    assert events[1]["child_namespace"] == "?"
    assert list(log.lines)[-1] == "  Traceback" and len(log.lines) == 3


def test_undecodable_bytes_are_replaced(events: list[dict[str, Any]]) -> None:
    log = ChildLog(None)
    log.received(b"\xff\xfe bad\r\n")
    assert events[0]["child_text"] == "\ufffd\ufffd bad"
