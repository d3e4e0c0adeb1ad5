"""
The fuzz corpus of issue 12 (defects 2 and 10): frames that once raised
something other than a protocol error out of the server's checks
(C{TypeError}, C{RecursionError}, C{ValueError}, C{OverflowError}) or got
the wrong code.  Through the real driver, each gets one answer with its
code and id, the connection stays open, and a ping is still answered.
"""

from __future__ import annotations

import functools

import cbor2
import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.testing import start_driver
from tests.support.raw import connect_raw

#: How long one answer may take before the test fails (instead of hanging).
PATIENCE = 30

_P = cbor2.dumps
_CYCLIC_ARRAY = b"\xd8\x1c\x81\xd8\x1d\x00"  # tag 28 [tag 29 0]: contains itself
_CYCLIC_MAP = b"\xd8\x1c\xa1\x61a\xd8\x1d\x00"  # tag 28 {"a": tag 29 0}
_BIG = 10**5000  # more than 4,300 digits: str() refuses it


def _request(method: str, params: bytes) -> bytes:
    """A request with id 7 whose params map is raw CBOR."""
    return (
        b"\xa3" + _P("id") + _P(7) + _P("method") + _P(method) + _P("params") + params
    )


def _params(*pairs: bytes) -> bytes:
    return bytes([0xA0 + len(pairs) // 2]) + b"".join(pairs)


def _msg(method: str, **params: object) -> bytes:
    return _P({"id": 7, "method": method, "params": params})


def _nested_not(depth: int) -> object:
    return functools.reduce(lambda inner, _: {"$not": inner}, range(depth), {"a": 1})


def _nested_json(depth: int) -> object:
    return functools.reduce(lambda inner, _: [inner], range(depth), 1)


T = (_P("table"), _P("t"))
CORPUS = {
    # an array, map or set where an identifier goes (TypeError before)
    "table-array": (_msg("select", table=[]), "invalid_params"),
    "table-map": (_msg("select", table={"a": 1}), "invalid_params"),
    "table-set": (
        _request("select", _params(_P("table"), _P({1, 2}))),
        "invalid_params",
    ),
    "columns-array": (_msg("select", table="t", columns=[[]]), "invalid_params"),
    "order_by-array": (_msg("select", table="t", order_by=[[1]]), "invalid_params"),
    "order_by-column-map": (
        _msg("select", table="t", order_by=[{"column": {}}]),
        "invalid_params",
    ),
    "returning-array": (
        _msg("insert", table="t", data={"v": 1}, returning=[[]]),
        "invalid_params",
    ),
    "on_conflict-target": (
        _msg("insert", table="t", data={"v": 1}, on_conflict={"target": [{}]}),
        "invalid_params",
    ),
    "operation-method-array": (
        _msg("transaction", operations=[{"method": [], "params": {}}]),
        "invalid_params",
    ),
    "operation-method-map": (
        _msg("transaction", operations=[{"method": {"a": 1}}]),
        "invalid_params",
    ),
    "schema-column-name": (
        _msg(
            "create_table",
            schema={"name": "x", "columns": [{"name": [], "type": "text"}]},
        ),
        "invalid_params",
    ),
    "data-key-array": (
        _request("insert", _params(*T, _P("data"), b"\xa1\x80\x01")),
        "invalid_params",
    ),
    "where-op-key-array": (
        _request("select", _params(*T, _P("where"), b"\xa1\x61a\xa1\x80\x01")),
        "invalid_params",
    ),
    # cycles through CBOR tags 28/29 (RecursionError before)
    "cyclic-json-array": (
        _request("insert", _params(*T, _P("data"), b"\xa1\x61j" + _CYCLIC_ARRAY)),
        "invalid_params",
    ),
    "cyclic-json-map": (
        _request("insert", _params(*T, _P("data"), b"\xa1\x61j" + _CYCLIC_MAP)),
        "invalid_params",
    ),
    "cyclic-and": (
        _request(
            "select", _params(*T, _P("where"), b"\xd8\x1c\xa1\x64$and\x81\xd8\x1d\x00")
        ),
        "invalid_params",
    ),
    "cyclic-not": (
        _request(
            "select", _params(*T, _P("where"), b"\xd8\x1c\xa1\x64$not\xd8\x1d\x00")
        ),
        "invalid_params",
    ),
    "cyclic-execute-params": (
        _request(
            "execute", _params(_P("sql"), _P("select ?"), _P("params"), _CYCLIC_ARRAY)
        ),
        "invalid_params",
    ),
    "cyclic-top-level": (
        b"\xa3"
        + _P("id")
        + _P(7)
        + _P("method")
        + _P("ping")
        + _P("priority")
        + _CYCLIC_ARRAY,
        "bad_request",
    ),
    "shared-json": (
        _request(
            "insert",
            _params(*T, _P("data"), b"\xa1\x61j\x82\xd8\x1c\x81\x01\xd8\x1d\x00"),
        ),
        "invalid_params",
    ),
    # nesting past the documented limits
    "deep-not": (_msg("select", table="t", where=_nested_not(65)), "invalid_params"),
    "very-deep-not": (
        _msg("select", table="t", where=_nested_not(300)),
        "invalid_params",
    ),
    "deep-json": (
        _msg("insert", table="t", data={"j": _nested_json(65)}),
        "invalid_params",
    ),
    "very-deep-json": (
        _msg("insert", table="t", data={"j": _nested_json(300)}),
        "invalid_params",
    ),
    "deep-execute-params": (
        _msg("execute", sql="select ?", params=[_nested_json(65)]),
        "invalid_params",
    ),
    # past cbor2's own limit (400): the id cannot be read
    "cbor-too-deep": (
        _msg("insert", table="t", data={"j": _nested_json(3000)}),
        "bad_request",
    ),
    "id-bignum": (_P({"id": 2**64, "method": "ping"}), "bad_request"),
    # integers too big for str(), float() or the database (ValueError, OverflowError)
    "bignum-table": (_msg("select", table=_BIG), "invalid_params"),
    "bignum-data-key": (
        _request("insert", _params(*T, _P("data"), b"\xa1" + _P(_BIG) + b"\x01")),
        "invalid_params",
    ),
    "bignum-param-key": (
        _request("select", _params(*T, _P(_BIG), b"\x01")),
        "invalid_params",
    ),
    "bignum-where-op": (
        _request(
            "select", _params(*T, _P("where"), b"\xa1\x61a\xa1" + _P(_BIG) + b"\x01")
        ),
        "invalid_params",
    ),
    "bignum-schema-key": (
        _request(
            "create_table",
            _params(
                _P("schema"),
                b"\xa3"
                + _P("name")
                + _P("x")
                + _P("columns")
                + _P([{"name": "a", "type": "text"}])
                + _P(_BIG)
                + b"\x01",
            ),
        ),
        "invalid_params",
    ),
    "bignum-top-level-key": (
        b"\xa3" + _P("id") + _P(7) + _P("method") + _P("ping") + _P(_BIG) + b"\x01",
        "bad_request",
    ),
    "timeout-overflow": (
        _P({"id": 7, "method": "ping", "timeout": 10**400}),
        "bad_request",
    ),
    "timeout-huge-float": (
        _P({"id": 7, "method": "ping", "timeout": 1e300}),
        "bad_request",
    ),
    "offset-bignum": (_msg("select", table="t", offset=_BIG), "invalid_params"),
    "offset-2^63": (_msg("select", table="t", offset=2**63), "invalid_params"),
    "limit-2^63": (_msg("select", table="t", limit=2**63), "invalid_params"),
    "fetch-size-2^64": (_msg("fetch", cursor_id="c", size=2**64), "invalid_params"),
}


@pytest_twisted.async_yield_fixture()
async def running(tmp_path):
    driver = await start_driver(tmp_path, database=str(tmp_path / "db.sqlite3"))
    client = await driver.client()
    key = {"name": "id", "type": "integer", "primary_key": True}
    columns = [key, {"name": "v", "type": "integer"}, {"name": "j", "type": "json"}]
    await client.create_table({"name": "t", "columns": columns})
    yield driver
    await driver.stop()


#: The inputs whose id cannot be read (answered with a null id).
NO_ID = {"cbor-too-deep", "id-bignum"}


async def answer(peer):
    return await peer.next().addTimeout(PATIENCE, reactor)


@pytest.mark.parametrize("name", list(CORPUS))
@pytest_twisted.ensureDeferred
async def test_each_input_gets_its_code_and_the_connection_stays(running, name):
    payload, code = CORPUS[name]
    peer = await connect_raw(reactor, running.socket_path)
    peer.send_frame(payload)
    reply = await answer(peer)
    assert reply["id"] == (None if name in NO_ID else 7)
    assert reply["error"]["code"] == code, reply
    assert len(reply["error"]["message"]) <= 500
    peer.send({"id": 8, "method": "ping"})
    assert await answer(peer) == {"id": 8, "result": "pong"}
    peer.send({"id": 9, "method": "count", "params": {"table": "t"}})
    assert await answer(peer) == {"id": 9, "result": 0}


@pytest_twisted.ensureDeferred
async def test_the_whole_corpus_on_one_connection(running):
    peer = await connect_raw(reactor, running.socket_path)
    for payload, _ in CORPUS.values():
        peer.send_frame(payload)
    peer.send({"id": 8, "method": "ping"})
    replies = [await answer(peer) for _ in range(len(CORPUS) + 1)]
    codes = [r["error"]["code"] for r in replies if "error" in r]
    assert codes == [code for _, code in CORPUS.values()]
    assert replies[-1] == {"id": 8, "result": "pong"}
