"""
C{twistd dbdriver}: the command-line options of PROTOCOL.md section 8 and
the service they make.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from twisted.python import usage

from dbdriver.server.access import exposed_endpoints
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import UnsupportedDatabase, backend_name
from dbdriver.server.runner import DriverService

__all__ = ["Options", "makeService"]


_Number = TypeVar("_Number", int, float)


def _positive(kind: type[_Number]) -> Callable[[str], _Number]:
    def convert(value: str) -> _Number:
        number = kind(value)
        if not (math.isfinite(number) and number > 0):
            raise ValueError(f"must be a number > 0, not {value}")
        return number

    convert.__name__ = f"positive {kind.__name__}"
    return convert


def _seconds(value: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"must be a number of seconds >= 0, not {value}")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be >= 0, not {value}")
    return number


def _ids(value: str) -> tuple[int, ...]:
    ids = tuple(int(part) for part in value.split(",") if part.strip())
    if not ids or any(i < 0 for i in ids):
        raise ValueError(f"must be ids >= 0, comma-separated, not {value}")
    return ids


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Serve table-level database operations over a Unix socket "
        "(netstring frames of CBOR maps). See PROTOCOL.md."
    )
    optFlags = [
        [
            "read-only",
            None,
            "Refuse every write (enforced by the database connection).",
        ],
        ["no-raw-sql", None, "Refuse execute and SQL cursors (forbidden)."],
        [
            "allow-session-sql",
            None,
            "Let raw SQL change session state (PRAGMA writes, SET, ATTACH).",
        ],
        [
            "no-create",
            None,
            "Refuse to start when the SQLite file does not exist.",
        ],
        [
            "insecure",
            None,
            "Allow non-loopback TCP without --auth-token-file or TLS.",
        ],
        [
            "exit-with-parent",
            None,
            "Shut down (as on SIGTERM) at the end of file of stdin.",
        ],
    ]
    optParameters = [
        [
            "socket",
            None,
            None,
            "Unix socket to listen on [default: dbdriver.sock, "
            "unless --listen is given].",
        ],
        ["mode", None, "0600", "Permissions of the socket file (octal)."],
        [
            "database",
            None,
            "dbdriver.sqlite3",
            "A SQLite file, :memory:, sqlite:PATH, postgresql://... or mysql://...",
        ],
        [
            "pool-size",
            None,
            None,
            "Database connections (threads) in the pool.",
            _positive(int),
        ],
        [
            "queue-size",
            None,
            10000,
            "Requests that may wait in the queue.",
            _positive(int),
        ],
        [
            "request-timeout",
            None,
            30.0,
            "Default deadline of a request (s).",
            _positive(float),
        ],
        [
            "transaction-idle-timeout",
            None,
            60.0,
            "Idle open transactions are rolled back after this many seconds.",
            _positive(float),
        ],
        [
            "max-message-size",
            None,
            16 * 1024 * 1024,
            "Largest frame accepted or sent.",
            _positive(int),
        ],
        ["shutdown-timeout", None, 10.0, "Grace period on SIGTERM (s).", _seconds],
        [
            "max-rows",
            None,
            1000000,
            "Most rows one select returns (0 = no cap).",
            _non_negative_int,
        ],
        [
            "busy-timeout",
            None,
            5.0,
            "Seconds to wait for a database lock before busy.",
            _positive(float),
        ],
        [
            "max-transactions",
            None,
            64,
            "Open transactions allowed at once.",
            _positive(int),
        ],
        [
            "write-lock-idle-timeout",
            None,
            5.0,
            "SQLite: a transaction idle this long holding the write lock is "
            "rolled back (s).",
            _positive(float),
        ],
        [
            "backup-root",
            None,
            None,
            "Directory that sync_schema's backup_dir must be inside "
            "[default: backups beside the SQLite file, or ./backups].",
        ],
        [
            "allow-uid",
            None,
            None,
            "Peer user ids allowed on the Unix socket (comma-separated).",
            _ids,
        ],
        [
            "allow-gid",
            None,
            None,
            "Peer group ids allowed on the Unix socket (comma-separated).",
            _ids,
        ],
        [
            "auth-token-file",
            None,
            None,
            "Every connection must first authenticate with this file's token.",
        ],
        [
            "max-connections",
            None,
            1024,
            "Client connections served at once.",
            _positive(int),
        ],
        [
            "connection-queue",
            None,
            1000,
            "Requests one connection may have queued.",
            _positive(int),
        ],
        [
            "ready-fd",
            None,
            None,
            "Write 'READY <socket>' to this fd once listening, then close it.",
            _non_negative_int,
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []

    def opt_synchronous(self, value: str) -> None:
        """
        SQLite durability: normal (default; an acknowledged write survives a
        crash of the driver) or full (it survives a power loss too).
        """
        if value not in ("normal", "full"):
            raise usage.UsageError("--synchronous must be normal or full")
        self["synchronous"] = value

    def opt_listen(self, endpoint: str) -> None:
        """
        A Twisted server endpoint string (unix:, tcp:, ssl:, systemd:) to
        listen on, instead of or as well as --socket (repeatable).
        """
        self["listen"].append(endpoint)

    def postOptions(self) -> None:
        try:
            self["mode"] = int(self["mode"], 8)
        except (TypeError, ValueError):
            raise usage.UsageError(
                f"--mode must be octal, not {self['mode']!r}"
            ) from None
        if not 0 <= self["mode"] <= 0o7777:
            raise usage.UsageError(
                f"--mode must be a file mode, 0 to 7777 (octal), not {self['mode']:o}"
            )
        try:
            backend_name(self["database"])
        except UnsupportedDatabase as e:
            raise usage.UsageError(str(e)) from None
        if self["socket"] is None and not self["listen"]:
            self["socket"] = "dbdriver.sock"
        exposed = exposed_endpoints(self["listen"])
        if exposed and not (self["auth-token-file"] or self["insecure"]):
            raise usage.UsageError(
                f"--listen={exposed[0]} serves a network without TLS: give "
                "--auth-token-file (or use ssl:), or --insecure to allow it"
            )

    def config(self) -> Config:
        return Config(
            database=self["database"],
            pool_size=self["pool-size"],
            queue_size=self["queue-size"],
            request_timeout=self["request-timeout"],
            transaction_idle_timeout=self["transaction-idle-timeout"],
            max_message_size=self["max-message-size"],
            read_only=bool(self["read-only"]),
            no_raw_sql=bool(self["no-raw-sql"]),
            shutdown_timeout=self["shutdown-timeout"],
            max_rows=self["max-rows"],
            busy_timeout=self["busy-timeout"],
            max_transactions=self["max-transactions"],
            synchronous=self.get("synchronous", "normal"),
            allow_session_sql=bool(self["allow-session-sql"]),
            write_lock_idle_timeout=self["write-lock-idle-timeout"],
            no_create=bool(self["no-create"]),
            backup_root=self["backup-root"],
            allow_uid=self["allow-uid"] or (),
            allow_gid=self["allow-gid"] or (),
            auth_token_file=self["auth-token-file"],
            insecure=bool(self["insecure"]),
            max_connections=self["max-connections"],
            connection_queue=self["connection-queue"],
        )


def makeService(options: Options) -> DriverService:
    return DriverService(
        options.config(),
        socket_path=options["socket"],
        mode=options["mode"],
        listen=tuple(options["listen"]),
        ready_fd=options["ready-fd"],
        exit_with_parent=bool(options["exit-with-parent"]),
    )
