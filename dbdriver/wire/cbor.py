"""
CBOR encoding shared by the protocol and the drivers.

Large results are encoded once, in chunks, while they are read from the
database: L{encode_rows} stops as soon as the result would not fit a
message (L{ResultTooLarge}, with the row count it reached), so the server
never builds an unbounded message, and the chunks become part of the
response frame as they are (L{Encoded}) without being decoded or encoded
again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import cbor2

from dbdriver.exceptions import ResultTooLarge
from dbdriver.wire.limits import ENVELOPE_ROOM

__all__ = ["Encoded", "array_header", "encode", "encode_rows", "plain", "response"]

#: Rows encoded at a time.
CHUNK = 256

#: A row as the database cursor gives it.
_R = TypeVar("_R")


class Encoded:
    """
    A value already encoded as one CBOR item.
    """

    __slots__ = ("data", "rows")

    def __init__(self, data: bytes, rows: int) -> None:
        self.data = data
        self.rows = rows

    def decode(self) -> object:
        return cbor2.loads(self.data)


def _write_encoded(encoder: cbor2.CBOREncoder, value: object) -> None:
    if not isinstance(value, Encoded):
        raise cbor2.CBOREncodeTypeError(f"cannot encode {type(value).__name__}")
    encoder.write(value.data)


def encode(message: object) -> bytes:
    """
    One CBOR item; L{Encoded} values are inserted as they are.
    """
    return cbor2.dumps(message, default=_write_encoded)


_RESPONSE_HEAD = b"\xa2" + cbor2.dumps("id")
_RESULT_KEY = cbor2.dumps("result")


def response(request_id: int, value: object) -> bytes:
    """
    The success response C{{"id": request_id, "result": value}}; a result
    already encoded (rows) is joined to the map's head as it is.
    """
    if isinstance(value, Encoded):
        head = cbor2.dumps(request_id)
        return b"".join((_RESPONSE_HEAD, head, _RESULT_KEY, value.data))
    return encode({"id": request_id, "result": value})


def array_header(count: int) -> bytes:
    """
    The CBOR head of an array of C{count} items.
    """
    if count < 24:
        return bytes((0x80 | count,))
    if count < 0x100:
        return bytes((0x98, count))
    if count < 0x10000:
        return b"\x99" + count.to_bytes(2, "big")
    if count < 0x100000000:
        return b"\x9a" + count.to_bytes(4, "big")
    return b"\x9b" + count.to_bytes(8, "big")


def _too_large(max_bytes: int, count: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result exceeds --max-message-size={max_bytes} bytes after "
        f"{count} rows; page with limit/offset or read it through a cursor",
        {"rows": count, "limit": max_bytes},
    )


def encode_rows(
    fetch: Callable[[int], Sequence[_R]],
    to_map: Callable[[Sequence[_R]], Sequence[object]],
    *,
    max_bytes: int,
    max_rows: int,
) -> Encoded:
    """
    Read rows with C{fetch(n)} until it returns fewer than C{n} (DB-API
    C{fetchmany}: the rows are exhausted), turn each chunk into maps with
    C{to_map} and encode it, as one CBOR array.

    @raise ResultTooLarge: past C{max_bytes} encoded or C{max_rows} rows
        (0: no cap), with the row count reached in its details.
    """
    parts: list[bytes] = []
    size = 0
    count = 0
    budget = max_bytes - ENVELOPE_ROOM
    while True:
        rows = fetch(CHUNK)
        if not rows:
            break
        count += len(rows)
        if max_rows and count > max_rows:
            raise ResultTooLarge(
                f"the result has more than --max-rows={max_rows} rows; "
                "page with limit/offset or read it through a cursor",
                {"rows": max_rows, "max_rows": max_rows},
            )
        chunk = cbor2.dumps(to_map(rows))
        if not parts and len(rows) < CHUNK:  # the whole result in one chunk
            if len(chunk) > budget:
                raise _too_large(max_bytes, count)
            return Encoded(chunk, count)
        items = chunk[len(array_header(len(rows))) :]
        size += len(items)
        if size > budget:
            raise _too_large(max_bytes, count)
        parts.append(items)
        if len(rows) < CHUNK:
            break  # a short chunk is the last: no call to learn that
    return Encoded(array_header(count) + b"".join(parts), count)


def plain(value: object) -> object:
    """
    C{value} with L{Encoded} parts decoded (for callers that want Python
    values, not a response).
    """
    if isinstance(value, Encoded):
        return value.decode()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
