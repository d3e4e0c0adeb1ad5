"""
Request envelopes (PROTOCOL.md section 2): one CBOR map per frame, checked
into an L{Envelope} or refused with the code to answer.  No input can make
L{decode_envelope} raise anything but L{EnvelopeError}.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import attrs
import cbor2

from dbdriver.exceptions import BadRequest, DriverError, InternalError, InvalidParams
from dbdriver.requests.inputs import (
    Unshaped,
    check_shape,
    clipped,
    quoted,
)
from dbdriver.requests.methods import BaseRequest, parse_request
from dbdriver.wire.limits import DEFAULT_PRIORITY

__all__ = ["Envelope", "EnvelopeError", "decode_envelope", "decode_payload"]

_TOP_LEVEL = frozenset(
    {"id", "method", "params", "priority", "timeout", "transaction_id"}
)
#: The longest deadline a request may ask for (a year): longer ones are
#: no deadline at all, and past this a float loses the seconds.
MAX_TIMEOUT = 365 * 24 * 3600


def decode_payload(payload: bytes) -> object:
    """
    Exactly one CBOR item, no trailing bytes, no duplicate map keys.
    """
    stream = io.BytesIO(payload)
    try:
        value = cbor2.CBORDecoder(stream, allow_duplicate_keys=False).decode()
    except Exception as e:
        raise BadRequest(f"payload is not valid CBOR: {quoted(str(e))}") from None
    if stream.tell() != len(payload):
        raise BadRequest("payload has bytes after its CBOR item")
    return value


@attrs.define(slots=True)
class Envelope:
    """
    A request as it arrived: the validated request plus the top-level keys
    that steer it through the queue.
    """

    request_id: int
    request: BaseRequest
    priority: int = DEFAULT_PRIORITY
    timeout: float | None = None
    transaction_id: str | None = None


class EnvelopeError(Exception):
    """
    A request that cannot run: the error to answer, with the id if it was
    readable.
    """

    def __init__(self, request_id: int | None, error: DriverError) -> None:
        super().__init__(error.message)
        self.request_id = request_id
        self.error = error


def _request_id(message: Mapping[object, object]) -> int | None:
    value = message.get("id")
    if type(value) is int and 0 <= value < 1 << 64:  # a CBOR unsigned integer
        return value
    return None


def decode_envelope(payload: bytes) -> Envelope:
    """
    Validate a request payload; raise L{EnvelopeError} with the code to answer.
    """
    try:
        message = decode_payload(payload)
    except DriverError as e:
        raise EnvelopeError(None, e) from None
    if not isinstance(message, dict):
        raise EnvelopeError(None, BadRequest("a request must be a CBOR map"))
    request_id = _request_id(message)
    try:
        if _may_share(payload):
            _check_shapes(message)
        if request_id is None:
            raise BadRequest("id must be an unsigned integer")
        if not _TOP_LEVEL.issuperset(message):
            unknown = sorted(quoted(k) for k in message if k not in _TOP_LEVEL)
            raise BadRequest(f"unknown top-level keys: {clipped(', '.join(unknown))}")
        method = message.get("method")
        if type(method) is not str:
            raise BadRequest("method must be text")
        priority = message.get("priority", DEFAULT_PRIORITY)
        if type(priority) is not int or not 0 <= priority <= 9:
            raise BadRequest("priority must be an integer 0..9")
        timeout = message.get("timeout")
        if timeout is not None and (
            type(timeout) not in (int, float)
            or not 0 < timeout <= MAX_TIMEOUT  # NaN compares false
        ):
            raise BadRequest(
                f"timeout must be a number of seconds > 0 and <= {MAX_TIMEOUT}"
            )
        transaction_id = message.get("transaction_id")
        if transaction_id is not None and type(transaction_id) is not str:
            raise BadRequest("transaction_id must be text")
        if "params" in message and not isinstance(message["params"], dict):
            raise BadRequest("params must be a map")
        request = parse_request(method, message.get("params"))
    except DriverError as e:
        raise EnvelopeError(request_id, e) from None
    except Exception as e:
        # A bug in a check: answered (the caller logs the cause), not raised.
        error = InternalError(f"the request could not be checked: {type(e).__name__}")
        raise EnvelopeError(request_id, error) from e
    return Envelope(request_id, request, priority, timeout, transaction_id)


def _may_share(payload: bytes) -> bool:
    """
    Whether C{payload} may hold a CBOR tag 28 or 29 (a shared value or a
    reference to one): their number, 0x1c or 0x1d, is one of its bytes.
    Without them cbor2 decodes a tree, no part reached twice and at most
    400 levels deep (its own limit, a C{bad_request}), and every check
    that walks a part of it holds a limit of its own (64 for where clauses
    and json values): such payloads, which nearly all requests are, skip
    the walk of L{_check_shapes} (it cost twice the decoding of a point
    select).
    """
    return b"\x1c" in payload or b"\x1d" in payload


def _check_shapes(message: Mapping[object, object]) -> None:
    """
    No shared or cyclic value and no nesting past L{MAX_PAYLOAD_NESTING},
    so that no check below can recurse without end.
    """
    for key, value in message.items():
        try:
            check_shape(value)
        except Unshaped as e:
            if key == "params":
                raise InvalidParams(f"params: {e}") from None
            raise BadRequest(f"{quoted(key)}: {e}") from None
