"""
dbdriver: a Twisted database driver process and its client.

The server runs as C{twistd dbdriver} (see L{dbdriver.tap}); applications
talk to it through L{connect}, which gives a L{DriverClient}.  Errors arrive
as the L{DriverError} subclass of their protocol code.
"""

from dbdriver._version import __version__
from dbdriver.client import (
    DriverClient,
    DriverClientFactory,
    DriverClientProtocol,
    Transaction,
    connect,
    connect_endpoint,
)
from dbdriver.exceptions import (
    BadFrame,
    BadRequest,
    Busy,
    ConnectionLost,
    ConstraintViolation,
    DriverError,
    Forbidden,
    InternalError,
    InvalidParams,
    MessageTooLarge,
    NoSuchColumn,
    NoSuchTable,
    QueueFull,
    ReadOnly,
    RequestTimeout,
    ResultTooLarge,
    ShuttingDown,
    SQLError,
    Unauthenticated,
    Unavailable,
    UnknownMethod,
    UnknownTransaction,
)

__all__ = [
    "BadFrame",
    "BadRequest",
    "Busy",
    "ConnectionLost",
    "ConstraintViolation",
    "DriverClient",
    "DriverClientFactory",
    "DriverClientProtocol",
    "DriverError",
    "Forbidden",
    "InternalError",
    "InvalidParams",
    "MessageTooLarge",
    "NoSuchColumn",
    "NoSuchTable",
    "QueueFull",
    "ReadOnly",
    "RequestTimeout",
    "ResultTooLarge",
    "SQLError",
    "ShuttingDown",
    "Transaction",
    "Unauthenticated",
    "Unavailable",
    "UnknownMethod",
    "UnknownTransaction",
    "__version__",
    "connect",
    "connect_endpoint",
]
