"""
The server's settings (PROTOCOL.md section 8), in one value that the twistd
options build and every layer reads.
"""

from __future__ import annotations

import attrs

from dbdriver.drivers.interfaces import DriverSettings
from dbdriver.wire.limits import DEFAULT_MAX_MESSAGE_SIZE

__all__ = ["Config"]


@attrs.frozen
class Config(DriverSettings):
    """
    The driver's settings (L{DriverSettings}: C{database}, C{pool_size},
    C{busy_timeout}, C{max_transactions}, C{max_rows}, C{read_only},
    C{synchronous}) and the server's.

    @ivar max_message_size: the largest frame either way.
    @ivar queue_size: requests waiting at once (C{--queue-size}).
    @ivar request_timeout: seconds a request may wait and run.
    @ivar transaction_idle_timeout: seconds an open transaction or cursor
        may stay idle.
    @ivar no_raw_sql: whether C{execute} and raw cursors are refused.
    @ivar shutdown_timeout: seconds of grace at shutdown.
    @ivar allow_uid: peer user ids let in on a Unix socket (empty: any
        that the file mode lets in).
    @ivar allow_gid: peer group ids let in on a Unix socket.
    @ivar auth_token_file: a file whose content every connection must
        present with C{authenticate} first (C{None}: no token).
    @ivar insecure: whether non-loopback TCP without a token or TLS is
        allowed.
    @ivar max_connections: client connections served at once.
    @ivar connection_queue: requests one connection may have queued.
    """

    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    queue_size: int = 10000
    request_timeout: float = 30.0
    transaction_idle_timeout: float = 60.0
    no_raw_sql: bool = False
    shutdown_timeout: float = 10.0
    allow_uid: tuple[int, ...] = ()
    allow_gid: tuple[int, ...] = ()
    auth_token_file: str | None = None
    insecure: bool = False
    max_connections: int = 1024
    connection_queue: int = 1000
