"""
A property of C{describe_table} (PROTOCOL.md section 4) on every backend:
for any table schema of the format (portable column types with random
flags, C{max_length} on text, literal and function defaults of the
column's type, column and table checks with literal operands, unique sets,
plain, unique and partial indexes, full-text indexes), C{create_table}
then C{describe_table} gives the schema back (L{same_schema}).

Hypothesis generates the schemas (derandomized: the same 25 on every run);
one driver per backend serves the whole test, each example on a table of
its own, dropped after it.  The examples are drawn first and then checked
in the reactor (no shrinking: a failure names the whole schema).
"""

from __future__ import annotations

import string
from typing import Any

import pytest_twisted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbdriver.client import DriverClient
from tests.support.appschema import same_schema

TYPES = ["integer", "bigint", "real", "text", "boolean", "timestamp", "json",
         "blob", "uuid"]  # fmt: skip
#: Types that may be in a key or an index on every backend.
KEYABLE = {"integer", "bigint", "real", "text", "boolean", "timestamp", "uuid"}
NUMERIC = {"integer", "bigint", "real"}

_words = st.text(string.ascii_letters + string.digits + " '_-", max_size=12)
_reals = st.sampled_from([0.0, 0.5, -2.25, 1000.0, 3.125, -0.0625])


def _literal(kind: str, max_length: int | None) -> st.SearchStrategy[Any]:
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "bigint":
        return st.integers(-(2**62), 2**62)
    if kind == "real":
        return _reals
    if kind == "boolean":
        return st.booleans()
    if kind == "uuid":
        return st.uuids(version=4).map(str)
    return _words.map(lambda w: w[:max_length])  # text


def _default(kind: str, max_length: int | None) -> st.SearchStrategy[Any]:
    choices: list[st.SearchStrategy[Any]] = [st.none()]
    if kind not in ("timestamp", "json", "blob"):
        choices.append(_literal(kind, max_length))
    if kind in ("timestamp", "real", "integer", "bigint"):
        choices.append(st.just({"function": "now"}))
    if kind in ("uuid", "text") and (max_length is None or max_length >= 36):
        choices.append(st.just({"function": "uuid"}))
    return st.one_of(choices)


def _check(name: str, kind: str) -> st.SearchStrategy[Any]:
    if kind in NUMERIC:
        literal = _literal(kind, None)
        return st.one_of(
            st.tuples(st.sampled_from([">", ">=", "<", "<=", "!="]), literal).map(
                lambda t: {name: {t[0]: t[1]}}
            ),
            st.lists(literal, min_size=1, max_size=3, unique=True).map(
                lambda v: {name: {"in": v}}
            ),
            st.tuples(literal, literal).map(lambda t: {name: {"between": sorted(t)}}),
        )
    if kind == "text":
        return st.one_of(
            st.just({name: {"!=": ""}}),
            st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True).map(
                lambda v: {name: {"in": v}}
            ),
            st.just({"$or": [{name: None}, {name: {"like": "x%"}}]}),
        )
    return st.just({name: {"is null": False}})


@st.composite
def _column(draw: Any, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    column: dict[str, Any] = {"name": name, "type": kind}
    max_length = None
    if kind == "text" and draw(st.booleans()):
        max_length = column["max_length"] = draw(st.integers(1, 300))
    if draw(st.booleans()):
        column["not_null"] = True
    if kind in KEYABLE and draw(st.integers(0, 4)) == 0:
        column["unique"] = True
    default = draw(_default(kind, max_length))
    if default is not None:
        column["default"] = default
    if kind in NUMERIC | {"text"} and draw(st.integers(0, 3)) == 0:
        column["check"] = draw(_check(name, kind))
    return column


def _partial(column: dict[str, Any]) -> st.SearchStrategy[Any]:
    name = column["name"]
    options = [st.just({name: None}), st.just({name: {"!=": None}})]
    if column["type"] in ("integer", "bigint"):
        options.append(st.integers(-5, 5).map(lambda k: {name: k}))
    return st.one_of(options)


@st.composite
def schemas(draw: Any) -> dict[str, Any]:
    """A table schema of the format (its name filled in later)."""
    count = draw(st.integers(1, 6))
    columns = [draw(_column(f"c{k}")) for k in range(count)]
    table: dict[str, Any] = {"name": "", "columns": columns}
    keyable = [c for c in columns if c["type"] in KEYABLE]
    key = draw(st.sampled_from(["auto", "one", "composite", "none"]))
    if key == "auto" or (key != "none" and not keyable):
        columns.insert(0, {"name": "id", "type": "integer", "primary_key": True,
                           "autoincrement": True})  # fmt: skip
    elif key == "one":
        keyable[0]["primary_key"] = True
    elif key == "composite" and len(keyable) >= 2:
        table["primary_key"] = [keyable[1]["name"], keyable[0]["name"]]
    for c in columns:
        if c.get("primary_key") or c["name"] in table.get("primary_key", ()):
            c.pop("unique", None)
            if isinstance(c.get("default"), dict) and c["type"] != "uuid":
                c.pop("default")
    if len(keyable) >= 2 and draw(st.booleans()):
        table["unique"] = [[keyable[0]["name"], keyable[-1]["name"]]]
    numeric = [c for c in columns if c["type"] in NUMERIC and c["name"] != "id"]
    if numeric and draw(st.booleans()):
        check = draw(_check(numeric[0]["name"], numeric[0]["type"]))
        named = draw(st.booleans())
        table["checks"] = [
            {"name": "ck", "where": check} if named else {"where": check}
        ]
    indexes: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for k in range(draw(st.integers(0, 3))):
        if not keyable:
            break
        chosen = draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2,
                               unique_by=lambda c: c["name"]))  # fmt: skip
        names = tuple(c["name"] for c in chosen)
        if names in seen:
            continue
        seen.add(names)
        index: dict[str, Any] = {"name": f"i{k}", "columns": list(names)}
        if draw(st.booleans()):
            index["unique"] = True
        if draw(st.booleans()):
            index["where"] = draw(_partial(draw(st.sampled_from(columns))))
        indexes.append(index)
    texts = [c["name"] for c in columns if c["type"] == "text"]
    if texts and draw(st.integers(0, 3)) == 0:
        indexes.append({"name": "fts", "columns": texts[:2], "kind": "fulltext"})
    if indexes:
        table["indexes"] = indexes
    return table


def _named(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """C{schema} as table C{name}, its index and check names prefixed by it."""
    table = {**schema, "name": name}
    if "indexes" in schema:
        table["indexes"] = [
            {**i, "name": f"{name}_{i['name']}"} for i in schema["indexes"]
        ]
    if "checks" in schema:
        table["checks"] = [
            {**c, "name": f"{name}_{c['name']}"} if "name" in c else c
            for c in schema["checks"]
        ]
    return table


def _examples() -> list[dict[str, Any]]:
    """
    The schemas Hypothesis generates (the test runs in the reactor's
    greenlet, where a synchronous Hypothesis test cannot wait for the
    driver: the examples are drawn first, then checked one by one).
    """
    examples: list[dict[str, Any]] = []

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(schemas())
    def collect(schema: dict[str, Any]) -> None:
        examples.append(schema)

    collect()
    return examples


@pytest_twisted.ensureDeferred
async def test_describe_round_trip(client: DriverClient) -> None:
    for number, schema in enumerate(_examples()):
        table = _named(schema, f"p{number}")
        assert await client.create_table(table) is True, table
        try:
            described = await client.describe_table(table["name"])
            assert same_schema(described, table), table
        finally:
            await client.drop_table(table["name"], if_exists=True)
