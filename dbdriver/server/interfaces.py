"""
What the parts of the server know of each other, as interfaces: a module
that imports nothing else of C{dbdriver.server}, so that every part can
depend on it without depending on the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import attrs

from dbdriver.wire.envelope import Envelope
from dbdriver.wire.results import BaseResult

__all__ = ["IAnswers", "IConnection", "IRequestSink", "Work"]


class IConnection(Protocol):
    """
    A client connection as the server sees it: where answers go.
    """

    @property
    def connected_(self) -> bool:
        """Whether the connection is still open."""

    def send_result(self, result: BaseResult) -> None:
        """Encode and send a result."""

    def send_payload(self, payload: bytes) -> None:
        """Send an encoded response."""

    def __hash__(self) -> int:
        """Connections key the queue's per-owner bookkeeping."""

    def close(self) -> None:
        """Drop the connection (shutdown)."""


class IRequestSink(Protocol):
    """
    What a client connection hands its requests to.
    """

    def connection_made(self, protocol: IConnection) -> None:
        """A client connected."""

    def connection_lost(self, protocol: IConnection) -> None:
        """A client went away."""

    def count_rejected(self) -> None:
        """A frame was refused before it became a request."""

    def submit(self, protocol: IConnection, envelope: Envelope) -> None:
        """Answer or queue one request."""


@attrs.define(slots=True, eq=False)
class Work:
    """
    A queued request: who asked, what, and in which transaction.
    """

    protocol: IConnection
    envelope: Envelope
    transaction_id: str | None
    session: str | None = None


class IAnswers(Protocol):
    """
    Where the dispatcher sends outcomes: the server, which encodes and
    accounts for them.
    """

    @property
    def stopping(self) -> bool:
        """Whether the server is shutting down."""

    def finish_for(self, work: Work) -> Callable[[object], bytes]:
        """The encoder applied to a result on its database thread."""

    def answer(self, entry: Any, result: object) -> None:
        """Send the outcome of a queued request and account for it."""
