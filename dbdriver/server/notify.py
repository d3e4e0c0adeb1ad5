"""
The systemd readiness protocol, without a dependency: one datagram to the
Unix socket named by C{$NOTIFY_SOCKET} (a leading C{@} names the abstract
namespace), e.g. C{READY=1} once the driver accepts, C{STOPPING=1} when its
shutdown begins.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from twisted.logger import Logger

__all__ = ["notify"]

_log = Logger(namespace="dbdriver.server.notify")


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """
    Send C{state} to the service manager, if there is one.

    @param state: the message, e.g. C{"READY=1"}.
    @param environ: where to read C{NOTIFY_SOCKET} (default: C{os.environ}).
    @return: whether the datagram was sent; C{False} without
        C{NOTIFY_SOCKET} or when sending failed (which is logged, not
        raised: a missing manager must not stop the driver).
    """
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.sendto(state.encode("utf-8"), address)
        except OSError as e:
            _log.warn(
                "cannot notify {address!r} of {state}: {error}",
                address=address,
                state=state,
                error=e,
            )
            return False
    return True
