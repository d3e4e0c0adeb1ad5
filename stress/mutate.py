"""
The fuzzer's inputs: requests generated for every method from the request
classes themselves (L{dbdriver.requests.methods.REQUEST_TYPES}), mutated
values, CBOR specials (tags 25/28/29/256/258, bignums, deep nesting, huge
lengths), mutated bytes and random bytes.  Every function takes a
C{random.Random}: a seed reproduces a run.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import attrs
import cbor2

from dbdriver.requests.methods import REQUEST_TYPES

#: A placeholder replaced by raw CBOR bytes after encoding (see L{splice}).
MARK = b"\x00stress-raw-splice\x00"
NAMES = ("t", "n", "tag", "k", "id", "x", "sqlite_master", "", "a" * 64, "1a", 'a"b')
#: Map keys that are not text (hashable, so they can be keys here).
KEYS = (1, -1, b"k", 2**70, 10**5000, 1.5, None, True, (1, 2), frozenset({1}))
TOP_KEYS = ("id", "method", "params", "priority", "timeout", "transaction_id")


def head(major: int, value: int) -> bytes:
    """A CBOR initial byte and argument."""
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(value)


class Raw:
    """CBOR bytes to put, as they are, where this value stands."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def special(rng: random.Random) -> Any:
    """One nasty value: CBOR specials, bignums, cycles, nesting, huge lengths."""
    depth = rng.choice((100, 1000, 20000))
    choices: list[Any] = [
        lambda: cbor2.CBORTag(25, rng.randrange(4)),  # stringref outside 256
        lambda: Raw(head(6, 256) + head(4, 3) + b"\x63abc\xd8\x19\x00\xd8\x19\x05"),
        lambda: Raw(b"\xd8\x1d" + head(0, rng.randrange(3))),  # sharedref, no share
        lambda: Raw(b"\xd8\x1c\x81\xd8\x1d\x00"),  # shared array containing itself
        lambda: Raw(b"\xd8\x1c\xa1\x61a\xd8\x1d\x00"),  # shared map containing itself
        lambda: cbor2.CBORTag(258, [1, 2, 1]),
        lambda: Raw(head(6, 258) + head(4, 1) + head(4, 0)),  # set of an array
        lambda: frozenset({1, "a", b"b"}),
        lambda: 2 ** rng.choice((63, 64, 65, 128, 1000)) * rng.choice((1, -1)),
        lambda: 10 ** rng.choice((4301, 5000, 20000)),
        lambda: rng.choice((math.nan, math.inf, -math.inf, -0.0, 1e308)),
        lambda: Raw(b"\xf7"),  # undefined
        lambda: Raw(b"\xf8\x20"),  # simple value 32
        lambda: Raw(b"\xc1\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00"),  # epoch inf
        lambda: Raw(b"\xc0\x63bad"),  # datetime text that is not one
        lambda: datetime(2026, 1, 1, tzinfo=UTC),
        lambda: Raw(b"\x81" * depth + b"\x00"),
        lambda: Raw(b"\xa1\x61a" * depth + b"\x00"),
        lambda: Raw(b"\xd8\x18" * depth + b"\x00"),  # nested tags
        lambda: Raw(head(2, rng.choice((2**31, 2**62))) + b"xx"),  # huge byte string
        lambda: Raw(head(3, 2**40) + b"a"),  # huge text
        lambda: Raw(head(4, 2**32 - 1)),  # huge array
        lambda: Raw(head(5, 2**60)),  # huge map
        lambda: Raw(b"\x5f\x41a\x61b\xff"),  # indefinite bytes holding text
        lambda: Raw(b"\x7f\xff"),  # empty indefinite text
        lambda: Raw(b"\xbf\x61a\xff"),  # map without value
        lambda: Raw(b"\x62\xff\xfe"),  # text, bad UTF-8
        lambda: b"\xff" * rng.randrange(64),
        lambda: "x" * rng.choice((201, 5000, 70000)),
        lambda: cbor2.CBORTag(rng.choice((2, 3, 4, 5, 30, 32, 36, 37, 55799)), "x"),
        lambda: cbor2.CBORTag(rng.randrange(2**64), None),
        lambda: [None] * rng.choice((0, 1, 10000)),
        lambda: {str(i): i for i in range(rng.choice((1, 500)))},
        lambda: {1: 2, b"k": 3, (1, 2): 4},
    ]
    return rng.choice(choices)()


def scalar(rng: random.Random) -> Any:
    return rng.choice(
        (
            None,
            True,
            False,
            0,
            -1,
            1,
            7,
            2**31,
            rng.random(),
            "",
            "x",
            b"",
            rng.choice(NAMES),
            [],
            {},
        )
    )


def value(rng: random.Random, depth: int = 0) -> Any:
    """A random CBOR value (sometimes a special)."""
    roll = rng.random()
    if roll < 0.15:
        return special(rng)
    if roll < 0.25 and depth < 3:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if roll < 0.35 and depth < 3:
        return {
            rng.choice(NAMES): value(rng, depth + 1) for _ in range(rng.randrange(4))
        }
    return scalar(rng)


def where(rng: random.Random) -> Any:
    ops = (
        "$eq",
        "$ne",
        "$lt",
        "$gt",
        "$in",
        "$like",
        "$is_null",
        "$and",
        "$or",
        "$not",
    )
    roll = rng.random()
    if roll < 0.3:
        return {rng.choice(NAMES): value(rng)}
    if roll < 0.6:
        return {rng.choice(NAMES): {rng.choice(ops): value(rng)}}
    return {rng.choice(("$and", "$or", "$not")): [where(rng), value(rng)]}


def column(rng: random.Random) -> dict[str, Any]:
    types = (
        "integer",
        "bigint",
        "real",
        "text",
        "blob",
        "boolean",
        "timestamp",
        "json",
    )
    found: dict[str, Any] = {"name": rng.choice(NAMES), "type": rng.choice(types)}
    for key in ("primary_key", "not_null", "unique", "default", "references", "check"):
        if rng.random() < 0.2:
            found[key] = value(rng)
    return found


def table_schema(rng: random.Random) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "name": rng.choice(NAMES),
        "columns": [column(rng) for _ in range(rng.randrange(1, 4))],
    }
    if rng.random() < 0.3:
        schema["indexes"] = [{"columns": [rng.choice(NAMES)], "unique": value(rng)}]
    return schema


def field_value(rng: random.Random, name: str, annotation: str) -> Any:
    """A plausible (often wrong) value for one field of a request class."""
    if rng.random() < 0.15:
        return value(rng)
    if name in ("where",):
        return where(rng)
    if name == "schema":
        return table_schema(rng)
    if name == "schema_definition":
        return {"tables": [table_schema(rng) for _ in range(rng.randrange(3))]}
    if name == "operations":
        return [operation(rng) for _ in range(rng.randrange(4))]
    if name in ("data",):
        return {rng.choice(NAMES): value(rng) for _ in range(rng.randrange(1, 4))}
    if name == "rows":
        return [{rng.choice(NAMES): value(rng)} for _ in range(rng.randrange(4))]
    if name == "on_conflict":
        return rng.choice(
            ("ignore", "replace", {"target": [value(rng)], "update": ["k"]})
        )
    if name == "order_by":
        return [
            rng.choice((rng.choice(NAMES), {"column": value(rng), "desc": value(rng)}))
        ]
    if name == "sql":
        return rng.choice(("select 1", "select ?", "select * from t", "x", "pragma x"))
    if name in ("cursor_id", "transaction_id"):
        return rng.choice(("", "0", "x" * 40, value(rng)))
    if annotation.startswith("bool"):
        return rng.choice((True, False))
    if annotation.startswith("int"):
        return rng.choice((0, 1, -1, 10**6, 2**63))
    if annotation.startswith("list"):
        return [rng.choice(NAMES) for _ in range(rng.randrange(3))]
    if annotation.startswith("str"):
        return rng.choice(NAMES)
    return value(rng)


def params(rng: random.Random, method: str) -> dict[str, Any]:
    """Params for C{method} from its request class's fields."""
    fields = [f for f in attrs.fields(REQUEST_TYPES[method]) if f.init]
    found = {
        f.name: field_value(rng, f.name, str(f.type))
        for f in fields
        if f.default is attrs.NOTHING or rng.random() < 0.5
    }
    if rng.random() < 0.05:
        found[rng.choice(NAMES)] = value(rng)
    return found


def operation(rng: random.Random) -> dict[str, Any]:
    method = rng.choice(
        (
            "insert",
            "insert_many",
            "update",
            "delete",
            "select",
            "count",
            "execute",
            "ping",
            "transaction",
        )
    )
    return {"method": method, "params": params(rng, method)}


def request(rng: random.Random, request_id: int) -> dict[str, Any]:
    """A request for a random method of the registry, fields generated."""
    method = rng.choice(sorted(REQUEST_TYPES))
    message: dict[str, Any] = {
        "id": request_id,
        "method": method,
        "params": params(rng, method),
    }
    if rng.random() < 0.1:
        message["priority"] = rng.choice((0, 9, 10, -1, 2**64, "5"))
    if rng.random() < 0.1:
        message["timeout"] = rng.choice((0.001, 0, -1, 10**400, math.nan, 1e308, "1"))
    if rng.random() < 0.05:
        message["transaction_id"] = rng.choice(("x", "", 1))
    return message


def mutate(rng: random.Random, message: Any, depth: int = 0) -> Any:
    """C{message} with one node replaced, removed or added (recursively)."""
    if isinstance(message, dict) and message and depth < 6:
        key = rng.choice(list(message))
        copy = dict(message)
        roll = rng.random()
        if roll < 0.15 and key != "id":
            del copy[key]
        elif roll < 0.25:
            copy[rng.choice((*TOP_KEYS, *NAMES))] = value(rng)
        elif roll < 0.3 and key != "id":
            copy[rng.choice(KEYS)] = copy.pop(key)
        else:
            copy[key] = mutate(rng, copy[key], depth + 1)
        return copy
    if isinstance(message, list) and message and depth < 6:
        items = list(message)
        i = rng.randrange(len(items))
        items[i] = mutate(rng, items[i], depth + 1)
        return items
    return special(rng) if rng.random() < 0.5 else value(rng)


def splice(message: Any, raws: list[bytes] | None = None) -> Any:
    """C{message} with each L{Raw} replaced by a marker (the bytes collected)."""
    raws = [] if raws is None else raws
    if isinstance(message, Raw):
        raws.append(message.data)
        return MARK
    if isinstance(message, dict):
        return {splice(k, raws): splice(v, raws) for k, v in message.items()}
    if isinstance(message, list):
        return [splice(v, raws) for v in message]
    return message


def encode(rng: random.Random, message: Any) -> bytes:
    """C{message} as CBOR, L{Raw} values put in as they are."""
    raws: list[bytes] = []
    plain = splice(message, raws)
    try:
        data = cbor2.dumps(plain, string_referencing=rng.random() < 0.1)
    except (ValueError, TypeError, cbor2.CBOREncodeError):
        data = cbor2.dumps({"id": 0, "method": "ping"})
    marker = cbor2.dumps(MARK)
    for raw in raws:
        data = data.replace(marker, raw, 1)
    return data


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """C{data} with a few bytes flipped, cut, inserted or repeated."""
    out = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        if not out:
            break
        i = rng.randrange(len(out))
        roll = rng.random()
        if roll < 0.4:
            out[i] ^= 1 << rng.randrange(8)
        elif roll < 0.55:
            del out[i:]
        elif roll < 0.7:
            out[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif roll < 0.85:
            out[i] = rng.choice((0x00, 0x1F, 0x5F, 0x7F, 0x9F, 0xBF, 0xFF, 0xDB, 0xF7))
        else:
            j = rng.randrange(i, len(out) + 1)
            out[j:j] = out[i:j]
    return bytes(out)


def broken_framing(rng: random.Random) -> tuple[bytes, str]:
    """Bytes that are not netstrings, and the code the driver must answer."""
    return rng.choice(
        (
            (b"abc", "bad_frame"),
            (b"-1:", "bad_frame"),
            (b"3:abcX", "bad_frame"),
            (b":,", "bad_frame"),
            (b"99999999999999:", "message_too_large"),
            (b"%d:" % (1 << 30), "message_too_large"),
            (bytes(rng.randrange(256) for _ in range(8)) + b"x:", "bad_frame"),
        )
    )


def payload(rng: random.Random, request_id: int) -> tuple[str, bytes]:
    """One frame's payload and the kind of input it is."""
    roll = rng.random()
    if roll < 0.05:
        return "random", bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
    good = request(rng, request_id)
    if roll < 0.35:
        return "generated", encode(rng, good)
    if roll < 0.75:
        return "mutated", encode(rng, mutate(rng, good))
    if roll < 0.9:
        return "mutated-cbor", mutate_bytes(rng, encode(rng, good))
    return "special", encode(
        rng,
        {
            "id": request_id,
            "method": good["method"],
            "params": {k: special(rng) for k in good["params"]} or {"x": special(rng)},
        },
    )
