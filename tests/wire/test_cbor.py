"""
The encoding helpers of L{dbdriver.wire.cbor}: pre-encoded results must give
the very bytes a plain encoding gives, and L{encode_rows} must read no
further than it needs and stop at its limits.
"""

from __future__ import annotations

from typing import Any

import cbor2
import pytest

from dbdriver.exceptions import ResultTooLarge
from dbdriver.wire.cbor import CHUNK, Encoded, encode, encode_rows, plain, response


class _Rows:
    """A DB-API style C{fetchmany} over C{count} rows, counting its calls."""

    def __init__(self, count: int) -> None:
        self.rows = [(i, f"name {i}") for i in range(count)]
        self.calls = 0

    def fetchmany(self, size: int) -> list[Any]:
        self.calls += 1
        taken, self.rows = self.rows[:size], self.rows[size:]
        return taken


def _maps(rows: Any) -> list[dict[str, Any]]:
    return [{"id": i, "name": n} for i, n in rows]


@pytest.mark.parametrize("count", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_encode_rows_is_one_cbor_array_read_once(count: int) -> None:
    source = _Rows(count)
    encoded = encode_rows(source.fetchmany, _maps, max_bytes=1 << 24, max_rows=0)
    expected = _maps(_Rows(count).rows)
    assert encoded.rows == count
    assert encoded.data == cbor2.dumps(expected)
    # a short chunk ends the reading; a full one needs one more call
    assert source.calls == count // CHUNK + 1


@pytest.mark.parametrize("request_id", [0, 23, 24, 2**40])
@pytest.mark.parametrize(
    "value", [[], [{"a": 1}], "pong", None, {"columns": ["x"], "rows": [[1]]}]
)
def test_response_bytes_equal_the_plain_encoding(request_id: int, value: Any) -> None:
    plain_bytes = cbor2.dumps({"id": request_id, "result": value})
    assert response(request_id, value) == plain_bytes
    pre = Encoded(cbor2.dumps(value), 0)
    assert response(request_id, pre) == plain_bytes
    assert encode({"id": request_id, "result": pre}) == plain_bytes
    assert plain([pre, pre]) == [value, value]


def test_encode_rows_limits() -> None:
    with pytest.raises(ResultTooLarge) as caught:
        encode_rows(_Rows(CHUNK * 2).fetchmany, _maps, max_bytes=1 << 24, max_rows=10)
    assert caught.value.details == {"rows": 10, "max_rows": 10}
    with pytest.raises(ResultTooLarge) as caught:
        encode_rows(_Rows(1000).fetchmany, _maps, max_bytes=2000, max_rows=0)
    assert caught.value.details["limit"] == 2000
    assert 0 < caught.value.details["rows"] <= CHUNK
