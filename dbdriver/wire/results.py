"""
Results as types: what the server answers to one request.

L{SuccessResult} and L{ErrorResult} convert to and from the response maps
of PROTOCOL.md section 3; the server builds them, the client reads them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TypedDict

import attrs

from dbdriver.exceptions import BadRequest, DriverError, error_for_code
from dbdriver.requests.values import Row, Value

__all__ = [
    "BaseResult",
    "ErrorResult",
    "ExecuteResult",
    "Page",
    "SuccessResult",
    "result_from_wire",
]


@attrs.define(slots=True)
class BaseResult(ABC):
    """
    The answer to the request with id C{request_id} (C{None} when the
    request's id could not be read).
    """

    request_id: int | None

    @abstractmethod
    def to_wire(self) -> dict[str, object]:
        """
        The response map.
        """

    @abstractmethod
    def unwrap(self) -> object:
        """
        The value, or raise the error.
        """


@attrs.define(slots=True)
class SuccessResult(BaseResult):
    value: object

    def to_wire(self) -> dict[str, object]:
        return {"id": self.request_id, "result": self.value}

    def unwrap(self) -> object:
        return self.value


@attrs.define(slots=True)
class ErrorResult(BaseResult):
    error: DriverError

    def to_wire(self) -> dict[str, object]:
        return {"id": self.request_id, "error": self.error.to_wire()}

    def unwrap(self) -> object:
        raise self.error


def result_from_wire(message: object) -> BaseResult:
    """
    Read a response map; a map that is not a response is L{BadRequest}.
    """
    if not isinstance(message, dict) or "id" not in message:
        raise BadRequest(f"not a response: {message!r}")
    request_id = message["id"]
    if "result" in message:
        return SuccessResult(request_id, message["result"])
    error = message.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        raise BadRequest(f"response without result or error: {message!r}")
    return ErrorResult(
        request_id,
        error_for_code(
            error["code"], str(error.get("message", "")), error.get("details")
        ),
    )


class ExecuteResult(TypedDict):
    """
    The result of C{execute}: the column names, the rows as arrays in that
    order, the rows affected and the id of the last inserted row.
    """

    columns: list[str]
    rows: list[list[Value]]
    rowcount: int
    lastrowid: int | None


class Page(TypedDict):
    """
    The result of C{fetch}: the next rows of a cursor, and whether they are
    the last.
    """

    rows: list[Row]
    done: bool
