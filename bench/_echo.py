"""
The anchor of W7: a bare Twisted netstring echo server.  Every frame comes
back as it arrived; nothing is decoded.  Run as its own process::

    python -m bench._echo SOCKET
"""

from __future__ import annotations

import sys

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.endpoints import UNIXServerEndpoint
from twisted.internet.protocol import Factory
from twisted.internet.task import react
from twisted.protocols.basic import NetstringReceiver


class Echo(NetstringReceiver):
    """Sends every netstring straight back."""

    MAX_LENGTH = 1 << 24

    def stringReceived(self, string: bytes) -> None:
        self.sendString(string)


async def _serve(reactor: object, path: str) -> None:
    """Listen on C{path} until the process is stopped."""
    endpoint = UNIXServerEndpoint(reactor, path)  # type: ignore[arg-type]
    await endpoint.listen(Factory.forProtocol(Echo))
    await Deferred()  # forever: SIGTERM stops the reactor


def main(argv: list[str]) -> None:
    """Serve the echo on the socket path given as the only argument."""
    react(lambda reactor: ensureDeferred(_serve(reactor, argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
