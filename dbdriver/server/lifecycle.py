"""
What the driver tells the process that started it, and what it watches of
that process: the C{READY <socket>} line on C{--ready-fd}, and the EOF on
fd 0 that C{--exit-with-parent} turns into a graceful shutdown.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable

from twisted.internet import fdesc, main
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IReactorCore, IReactorFDSet, IReadDescriptor
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

__all__ = ["ParentWatch", "announce_ready", "watch_parent"]


def announce_ready(fd: int, where: str) -> None:
    """
    Write C{READY <where>\\n} to C{fd} and close it.  A reader that went
    away (C{EPIPE}, a closed fd) is not an error of the driver's.
    """
    try:
        os.write(fd, f"READY {where}\n".encode())
    except OSError as e:
        if e.errno not in (errno.EPIPE, errno.EBADF):
            raise
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


@implementer(IReadDescriptor)
class ParentWatch:
    """
    Reads (and drops) whatever arrives on C{fd}; at its end of file calls
    C{on_eof} once.  The end is either read (an empty read) or told by the
    reactor (a hang-up: L{ConnectionDone}); the reactor closing every
    descriptor at shutdown (L{ConnectionLost}) is not an end of file.

    @ivar eof: whether the end of file was read.
    """

    log = Logger()

    def __init__(self, fd: int, on_eof: Callable[[], object]) -> None:
        self.fd = fd
        self.on_eof = on_eof
        self.eof = False

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "ParentWatch"

    def doRead(self) -> Failure | None:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return None
        except OSError:
            self.eof = True
            return Failure(main.CONNECTION_LOST)
        if not data:
            self.eof = True
            return Failure(main.CONNECTION_DONE)
        return None

    def connectionLost(self, reason: Failure) -> None:
        if reason.check(ConnectionDone):
            self.eof = True
        if self.eof:
            self.log.info("end of file on fd {fd}: the parent is gone", fd=self.fd)
            self.on_eof()


def watch_parent(
    reactor: IReactorFDSet, on_eof: Callable[[], object], fd: int = 0
) -> ParentWatch:
    """
    Watch C{fd} (default: stdin) in C{reactor} and call C{on_eof} at its end
    of file.  A descriptor the reactor cannot poll (a regular file,
    C{/dev/null}, a closed fd) is read to its end once the reactor runs:
    that end is already there.
    """
    watch = ParentWatch(fd, on_eof)
    try:
        fdesc.setNonBlocking(fd)
        reactor.addReader(watch)
    except OSError:
        IReactorCore(reactor).callWhenRunning(_read_to_the_end, watch)
    return watch


def _read_to_the_end(watch: ParentWatch) -> None:
    while (why := watch.doRead()) is None:
        pass
    watch.connectionLost(why)
