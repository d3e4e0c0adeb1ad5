"""
The child's stderr back into the parent's C{twisted.logger}: each line of
Twisted's text format, C{<time> [<namespace>#<level>] <text>}, becomes an
event of namespace C{dbdriver.child} at the child's level, tagged with the
child's pid and namespace.
"""

from __future__ import annotations

import re
from collections import deque

from twisted.logger import Logger, LogLevel

__all__ = ["CHILD_LOG", "ChildLog", "parse_line"]

#: A module-level logger: a class attribute would be bound to the instance,
#: and binding replaces the namespace with the class's name.
CHILD_LOG = Logger(namespace="dbdriver.child")
_LINE = re.compile(
    r"^(?P<time>\S+) \[(?P<namespace>[^\]#]*)(?:#(?P<level>[a-z]+))?\] ?"
)
_LEVELS = {level.name: level for level in LogLevel.iterconstants()}


def parse_line(line: str) -> tuple[str | None, LogLevel | None, str]:
    """
    Split one line of the child's log.

    @return: C{(namespace, level, text)}; namespace and level are L{None} for
        a line that is not in Twisted's text format (a traceback's
        continuation, a message printed before logging started).
    """
    found = _LINE.match(line)
    if found is None:
        return None, None, line
    # A legacy event (C{twisted.python.log.msg}) names a system, no level.
    level = _LEVELS.get(found.group("level") or "info")
    if level is None:
        return None, None, line
    return found.group("namespace"), level, line[found.end() :]


class ChildLog:
    """
    The log of one child process: bytes in, events out.

    @ivar lines: the child's last lines, as it wrote them (for the error of a
        child that could not start).
    """

    def __init__(self, pid: int | None, keep: int = 50) -> None:
        self.pid = pid
        self.lines: deque[str] = deque(maxlen=keep)
        self._partial = b""
        self._level = LogLevel.warn

    def received(self, data: bytes) -> None:
        """Some bytes of the child's stderr; each whole line is logged."""
        *whole, self._partial = (self._partial + data).split(b"\n")
        for line in whole:
            self._line(line)

    def ended(self) -> None:
        """The child closed its stderr: log an unfinished last line."""
        partial, self._partial = self._partial, b""
        if partial:
            self._line(partial)

    def _line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        if not line.strip():
            return
        self.lines.append(line)
        namespace, level, text = parse_line(line)
        if level is None:
            # A continuation (a traceback after an error event) keeps the
            # level of the event before it; a bare line is at least a warning.
            level = max(self._level, LogLevel.warn, key=_rank)
            namespace = "?"
        else:
            self._level = level
        CHILD_LOG.emit(
            level,
            "[{child_pid}] {child_namespace}: {child_text}",
            child_pid=self.pid,
            child_namespace=namespace,
            child_text=text,
        )


def _rank(level: LogLevel) -> int:
    return list(LogLevel.iterconstants()).index(level)
