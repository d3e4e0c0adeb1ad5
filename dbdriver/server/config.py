"""
The server's settings (PROTOCOL.md section 8), in one value that the twistd
options build and every layer reads.
"""

from __future__ import annotations

import attrs

from dbdriver.wire.limits import DEFAULT_MAX_MESSAGE_SIZE

__all__ = ["Config"]


@attrs.frozen
class Config:
    """
    @ivar database: the C{--database} value (a SQLite path, C{:memory:},
        C{sqlite:PATH}, or a server URI).
    @ivar pool_size: connections (threads) of the pool; C{None} picks the
        backend's default.
    @ivar busy_timeout: seconds a statement waits for a lock before C{busy}.
    @ivar max_transactions: open transactions (pinned connections) allowed.
    @ivar synchronous: SQLite's C{synchronous} setting, C{"normal"} (an
        acknowledged write survives a crash of the driver) or C{"full"} (it
        survives a power loss too).
    """

    database: str = "dbdriver.sqlite3"
    pool_size: int | None = None
    queue_size: int = 10000
    request_timeout: float = 30.0
    transaction_idle_timeout: float = 60.0
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    read_only: bool = False
    no_raw_sql: bool = False
    shutdown_timeout: float = 10.0
    max_rows: int = 1000000
    busy_timeout: float = 5.0
    max_transactions: int = 64
    synchronous: str = "normal"
