"""
The errors of the wire protocol (PROTOCOL.md section 3), as exceptions.

One class per error code.  The server raises them and turns them into error
responses; the client turns error responses back into them, so application
code catches the same types the server raised.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadFrame",
    "BadRequest",
    "Busy",
    "ConnectionLost",
    "ConstraintViolation",
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
    "Unauthenticated",
    "Unavailable",
    "UnknownMethod",
    "UnknownTransaction",
    "error_for_code",
]


#: The longest message an error response carries: messages built from
#: client input quote at most 200 characters of it
#: (L{dbdriver.requests.inputs.quoted}); this cuts what else would grow
#: with the input (a database's message that quotes a whole value).
MAX_MESSAGE_LENGTH = 500

#: The longest text of a detail an error response carries (a detail that
#: names an input, such as an unknown C{cursor_id}, quotes at most this).
MAX_DETAIL_LENGTH = 200


def _clip_details(details: object) -> object:
    """
    C{details} with its long text values cut to L{MAX_DETAIL_LENGTH}.
    """
    if not isinstance(details, dict):
        return details
    return {
        key: value[: MAX_DETAIL_LENGTH - 3] + "..."
        if type(value) is str and len(value) > MAX_DETAIL_LENGTH
        else value
        for key, value in details.items()
    }


#: The class of each error code, in the order the classes are defined here.
_BY_CODE: dict[str, type[DriverError]] = {}


class DriverError(Exception):
    """
    An error with a protocol error code.

    A subclass that names its own C{code} is the class L{error_for_code}
    gives for that code (the first class to name a code keeps it).

    @ivar code: the protocol's error code (C{"no_such_table"}, ...).
    @ivar message: a message for people.
    @ivar details: optional machine-readable details (any CBOR value).
    """

    code: ClassVar[str] = "internal"

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if "code" in vars(cls):
            _BY_CODE.setdefault(cls.code, cls)

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, details={self.details!r})"

    def to_wire(self) -> dict[str, object]:
        message = self.message
        if len(message) > MAX_MESSAGE_LENGTH:
            cut = len(message) - MAX_MESSAGE_LENGTH
            message = f"{message[:MAX_MESSAGE_LENGTH]}... ({cut} characters cut)"
        error: dict[str, object] = {"code": self.code, "message": message}
        if self.details is not None:
            error["details"] = _clip_details(self.details)
        return error


class BadFrame(DriverError):
    code = "bad_frame"


class MessageTooLarge(DriverError):
    code = "message_too_large"


class BadRequest(DriverError):
    code = "bad_request"


class UnknownMethod(DriverError):
    code = "unknown_method"


class InvalidParams(DriverError):
    code = "invalid_params"


class NoSuchTable(DriverError):
    code = "no_such_table"


class NoSuchColumn(DriverError):
    code = "no_such_column"


class ConstraintViolation(DriverError):
    code = "constraint_violation"


class SQLError(DriverError):
    code = "sql_error"


class Busy(DriverError):
    code = "busy"


class QueueFull(DriverError):
    code = "queue_full"


class RequestTimeout(DriverError):
    code = "timeout"


class UnknownTransaction(DriverError):
    code = "unknown_transaction"


class ReadOnly(DriverError):
    code = "read_only"


class Forbidden(DriverError):
    code = "forbidden"


class ResultTooLarge(DriverError):
    code = "result_too_large"


class ShuttingDown(DriverError):
    code = "shutting_down"


class InternalError(DriverError):
    code = "internal"


class Unavailable(DriverError):
    """
    The database cannot be reached; C{details.applied} says whether the
    request ran (C{False}: safe to retry; C{"unknown"}).
    """

    code = "unavailable"


class Unauthenticated(DriverError):
    """
    The connection has not passed the server's access check.
    """

    code = "unauthenticated"


class ConnectionLost(DriverError):
    """
    Client side only: the connection to the server closed before the answer
    came.  Not a protocol code; whether the request ran is unknown.
    """

    code = "connection_lost"


#: Every error code of PROTOCOL.md section 3, in its order.
PROTOCOL_CODES = tuple(code for code in _BY_CODE if code != "connection_lost")


def error_for_code(code: str, message: str, details: Any = None) -> DriverError:
    """
    The exception for an error response; an unknown code (a newer server)
    gives a plain L{DriverError} that still carries it.
    """
    cls = _BY_CODE.get(code)
    if cls is None:
        error = DriverError(message, details)
        error.code = code  # type: ignore[misc]
        return error
    return cls(message, details)
