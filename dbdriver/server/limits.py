"""
Limits per connection (PROTOCOL.md section 9) and of the process:

- L{Peer}: one connection's state at the server: whether it passed the
  access check, and the back-pressure on answers it does not read.  Its
  transport calls L{Peer.pauseProducing} once more than its buffer size
  (64 KiB) of answers wait to be sent; then the server stops reading that
  connection's requests, takes its waiting requests back out of the queue
  (so no more of its results are built) and holds what it still reads,
  until the transport has sent everything (L{Peer.resumeProducing}).
- the descriptor limit (the soft C{RLIMIT_NOFILE} raised to the hard one)
  and the listen backlog of the endpoints.
"""

from __future__ import annotations

import re
import resource
from collections import deque
from collections.abc import Callable

import attrs
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from zope.interface import implementer

from dbdriver.server.interfaces import IConnection, Work
from dbdriver.server.request_queue import QueueEntry
from dbdriver.wire.envelope import Envelope

__all__ = ["Peer", "listen_backlog", "raise_descriptor_limit", "with_backlog"]

log = Logger()

#: The listen backlog when the system's C{somaxconn} is not known or lower.
MIN_BACKLOG = 1024


def raise_descriptor_limit() -> tuple[int, int]:
    """
    Raise the soft limit of open descriptors to the hard limit, and log
    both; return the (soft, hard) limits in force.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:
        target = _nr_open()
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:
            log.warn("cannot raise the descriptor limit: {error}", error=e)
        else:
            log.info(
                "descriptor limit raised from {soft} to {new} (hard limit {hard})",
                soft=soft,
                new=target,
                hard=hard,
            )
            return target, hard
    log.info("descriptor limit {soft} (hard limit {hard})", soft=soft, hard=hard)
    return soft, hard


def _nr_open() -> int:
    try:
        with open("/proc/sys/fs/nr_open") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1 << 20


def listen_backlog() -> int:
    """
    The listen backlog: the system's C{somaxconn}, at least L{MIN_BACKLOG}
    (a burst of connects waits instead of failing with C{EAGAIN}).
    """
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return max(MIN_BACKLOG, int(f.read()))
    except (OSError, ValueError):
        return MIN_BACKLOG


_HAS_BACKLOG = re.compile(r"(?:^|:)backlog=", re.IGNORECASE)


def with_backlog(spec: str, backlog: int) -> str:
    """
    A server endpoint string with C{backlog} added where its type takes one
    (C{unix:}, C{tcp:}, C{tcp6:}, C{ssl:}) and it names none.
    """
    kind = spec.split(":", 1)[0].strip().lower()
    if kind in ("unix", "tcp", "tcp6", "ssl") and not _HAS_BACKLOG.search(spec):
        return f"{spec}:backlog={backlog}"
    return spec


@implementer(IPushProducer)
@attrs.define(eq=False)
class Peer:
    """
    One connection's state at the server.

    @ivar authenticated: whether its requests are served (it presented the
        token, or none is needed).
    @ivar refused: whether it was refused (its later requests are dropped).
    @ivar paused: whether answers wait unsent beyond the bound.
    @ivar held: requests read while paused, with their arrival time.
    @ivar withdrawn: its entries taken back out of the queue while paused.
    """

    protocol: IConnection
    authenticated: bool
    on_resume: Callable[[Peer], None]
    withdraw: Callable[[IConnection], list[QueueEntry[Work]]]
    refused: bool = False
    paused: bool = False
    held: deque[tuple[Envelope, float]] = attrs.Factory(deque)
    withdrawn: list[QueueEntry[Work]] = attrs.Factory(list)

    @property
    def transport(self) -> object:
        return getattr(self.protocol, "transport", None)

    def watch(self) -> None:
        """
        Be told by the transport when answers pile up and when they are
        sent.
        """
        register = getattr(self.transport, "registerProducer", None)
        if register is not None:
            register(self, True)

    def unwatch(self) -> None:
        unregister = getattr(self.transport, "unregisterProducer", None)
        if unregister is not None:
            unregister()

    def stop_reading(self) -> None:
        pause = getattr(self.transport, "pauseProducing", None)
        if pause is not None:
            pause()

    def waiting(self) -> int:
        """Its requests held or withdrawn here (not in the queue)."""
        return len(self.held) + len(self.withdrawn)

    # -- IPushProducer, called by the transport ---------------------------------

    def pauseProducing(self) -> None:
        if self.paused:
            return
        self.paused = True
        self.stop_reading()
        self.withdrawn.extend(self.withdraw(self.protocol))

    def resumeProducing(self) -> None:
        if getattr(self.transport, "disconnecting", False):
            self.unwatch()  # lets a closing transport close
            return
        if not self.paused:
            return
        self.paused = False
        resume = getattr(self.transport, "resumeProducing", None)
        if resume is not None:
            resume()
        self.on_resume(self)

    def stopProducing(self) -> None:
        self.held.clear()
        self.withdrawn.clear()
