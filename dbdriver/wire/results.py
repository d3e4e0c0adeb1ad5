"""
Results as types: what the server answers to one request.

L{SuccessResult} and L{ErrorResult} convert to and from the response maps
of PROTOCOL.md section 3; the server builds them, the client reads them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import attrs

from dbdriver.exceptions import BadRequest, DriverError, error_for_code

__all__ = ["BaseResult", "ErrorResult", "SuccessResult", "result_from_wire"]


@attrs.define(slots=True)
class BaseResult(ABC):
    """
    The answer to the request with id C{request_id} (C{None} when the
    request's id could not be read).
    """

    request_id: int | None

    @abstractmethod
    def to_wire(self) -> dict[str, Any]:
        """
        The response map.
        """

    @abstractmethod
    def unwrap(self) -> Any:
        """
        The value, or raise the error.
        """


@attrs.define(slots=True)
class SuccessResult(BaseResult):
    value: Any

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.request_id, "result": self.value}

    def unwrap(self) -> Any:
        return self.value


@attrs.define(slots=True)
class ErrorResult(BaseResult):
    error: DriverError

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.request_id, "error": self.error.to_wire()}

    def unwrap(self) -> Any:
        raise self.error


def result_from_wire(message: Any) -> BaseResult:
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
