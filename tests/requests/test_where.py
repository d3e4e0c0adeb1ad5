"""
Where clauses and identifiers (PROTOCOL.md section 4) against the real
server: every operator, the combinators, their empty forms, and identifier
and value injection attempts, which must neither run nor harm the table;
then L{dbdriver.requests.where}'s trees and their rendering on their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.where import (
    FALSE,
    TRUE,
    parse_where,
)
from tests.support.live import error_of, query, running_driver, unchecked

W: dict[str, Any] = {
    "name": "w",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "n", "type": "integer"},
        {"name": "s", "type": "text"},
        {"name": "x", "type": "real"},
    ],
}
ROWS: list[dict[str, Any]] = [
    {"id": 1, "n": 1, "s": "apple", "x": None},
    {"id": 2, "n": 2, "s": "banana", "x": 1.5},
    {"id": 3, "n": 3, "s": "cherry", "x": None},
    {"id": 4, "n": 4, "s": "date", "x": 2.5},
    {"id": 5, "n": 5, "s": None, "x": 3.5},
]
ALL = [1, 2, 3, 4, 5]
CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({}, ALL),
    ({"n": 3}, [3]),
    ({"s": "date"}, [4]),
    ({"n": {"=": 3}}, [3]),
    ({"n": {"!=": 3}}, [1, 2, 4, 5]),
    ({"n": {"<": 3}}, [1, 2]),
    ({"n": {"<=": 3}}, [1, 2, 3]),
    ({"n": {">": 3}}, [4, 5]),
    ({"n": {">=": 3}}, [3, 4, 5]),
    ({"n": {">": 1, "<": 4}}, [2, 3]),
    ({"x": {">=": 2.5}}, [4, 5]),
    ({"n": {"in": [1, 3, 9]}}, [1, 3]),
    ({"n": {"not in": [1, 3]}}, [2, 4, 5]),
    ({"n": {"in": []}}, []),
    ({"n": {"not in": []}}, ALL),
    ({"s": {"like": "%an%"}}, [2]),
    ({"s": {"like": "%a%"}}, [1, 2, 4]),
    ({"s": {"like": "_herry"}}, [3]),
    ({"s": {"not like": "%a%"}}, [3]),
    ({"n": {"between": [2, 4]}}, [2, 3, 4]),
    ({"n": {"between": [4, 2]}}, []),
    ({"x": {"is null": True}}, [1, 3]),
    ({"x": {"is null": False}}, [2, 4, 5]),
    ({"x": {"=": None}}, [1, 3]),
    ({"x": {"!=": None}}, [2, 4, 5]),
    ({"x": None}, [1, 3]),
    ({"s": None}, [5]),
    ({"n": {">": 1}, "x": None}, [3]),
    ({"$or": [{"n": 1}, {"s": "date"}]}, [1, 4]),
    ({"$and": [{"n": {">": 1}}, {"n": {"<": 4}}]}, [2, 3]),
    ({"$not": {"n": {"in": [1, 2]}}}, [3, 4, 5]),
    ({"$not": {"$or": [{"n": 1}, {"x": None}]}}, [2, 4, 5]),
    (
        {
            "$or": [
                {"$and": [{"n": {">=": 4}}, {"$not": {"x": None}}]},
                {"s": {"like": "a%"}},
            ]
        },
        [1, 4, 5],
    ),
    (
        {"$or": [{"$and": [{"n": 2}, {"s": "banana"}]}, {"$not": {"n": {"<": 5}}}]},
        [2, 5],
    ),
    ({"$or": []}, []),
    ({"$and": []}, ALL),
    ({"$not": {}}, []),
    ({"$not": {"$or": []}}, ALL),
    ({"$or": [{"n": 1}, {"$and": []}]}, ALL),
    ({"$and": [{"n": 1}, {"$or": []}]}, []),
    ({"$or": [{"n": 1}, {"n": {"in": []}}]}, [1]),
    ({"n": 1, "$or": []}, []),
]
BAD_WHERES: list[Any] = [
    {"n": {"~": 1}},
    {"n": {"==": 1}},
    {"n": {"IN": [1]}},
    {"$xor": [{"n": 1}]},
    {"$or": {"n": 1}},
    {"$or": [1]},
    {"$not": [{"n": 1}]},
    {"n": {}},
    {"n": {"between": [1]}},
    {"n": {"between": 1}},
    {"n": {"in": 5}},
    {"n": {"in": [[1]]}},
    {"x": {"is null": 1}},
    {"n": {"<": None}},
    {"s": {"like": 5}},
    {"n": [1, 2]},
    {"n": {"a": 1}},
    [{"n": 1}],
]
BAD_NAMES = ['x"; DROP TABLE w; --', "a b", "1abc", "a" * 64, "", "w.n", "n)", "é"]


@pytest_twisted.async_yield_fixture()
async def client(tmp_path: Path) -> Any:
    async with running_driver(tmp_path) as running:
        client = await running.client()
        await client.create_table(W)
        await client.insert_many("w", ROWS)
        yield client


async def _ids(client: DriverClient, where: dict[str, Any]) -> list[int]:
    rows = await client.select("w", where, columns=["id"], order_by=["id"])
    return [r["id"] for r in rows]


def _intact(tmp_path: Path) -> None:
    assert query(tmp_path, "SELECT id, n, s, x FROM w ORDER BY id") == [
        tuple(r.values()) for r in ROWS
    ]


@pytest_twisted.ensureDeferred
async def test_operators(client: DriverClient) -> None:
    for where, expected in CASES:
        assert await _ids(client, where) == expected, where
        assert await client.count("w", where) == len(expected), where


@pytest_twisted.ensureDeferred
async def test_writes_use_the_same_where(client: DriverClient, tmp_path: Path) -> None:
    assert await client.update("w", {"$or": []}, {"n": 0}) == 0
    assert await client.update("w", {"x": {"!=": None}}, {"s": "set"}) == 3
    assert await client.delete("w", {"$not": {"s": "set"}}) == 2
    assert query(tmp_path, "SELECT id FROM w ORDER BY id") == [(2,), (4,), (5,)]
    # an empty $and matches every row, and is not an absent where
    assert await client.delete("w", {"$and": []}) == 3
    assert query(tmp_path, "SELECT count(*) FROM w") == [(0,)]


@pytest_twisted.ensureDeferred
async def test_bad_where_clauses(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for where in BAD_WHERES:
        with pytest.raises(InvalidParams):  # locally, by the client
            await client.select("w", where)
    unchecked(monkeypatch)
    for where in BAD_WHERES:  # and by the server
        for call in (
            client.select("w", where),
            client.count("w", where),
            client.update("w", where, {"n": 0}),
            client.delete("w", where),
        ):
            error = await error_of(call)
            assert error.code == "invalid_params", where
    missing = await error_of(client.select("w", {"nope": 1}))
    assert missing.code == "no_such_column"
    missing = await error_of(client.delete("w", {"$or": [{"n": 1}, {"nope": 1}]}))
    assert missing.code == "no_such_column"
    _intact(tmp_path)


def _uses_of(name: str) -> list[tuple[str, dict[str, Any]]]:
    """Requests that name C{name} as a table, column or index."""
    column = {"name": name, "type": "text"}
    return [
        ("select", {"table": name}),
        ("count", {"table": name}),
        ("insert", {"table": name, "data": {"n": 1}}),
        ("insert_many", {"table": name, "rows": [{"n": 1}]}),
        ("update", {"table": name, "where": {"n": 1}, "data": {"n": 2}}),
        ("delete", {"table": name, "where": {"n": 1}}),
        ("drop_table", {"table": name}),
        ("get_table_info", {"table": name}),
        ("create_table", {"schema": {"name": name, "columns": [column]}}),
        ("create_table", {"schema": {"name": "z", "columns": [column]}}),
        ("insert", {"table": "w", "data": {name: 1}}),
        ("insert", {"table": "w", "data": {"n": 9}, "returning": [name]}),
        ("insert", {"table": "w", "data": {"n": 9}, "on_conflict": {"target": [name]}}),
        ("update", {"table": "w", "where": {"n": 1}, "data": {name: 1}}),
        ("select", {"table": "w", "columns": [name]}),
        ("select", {"table": "w", "order_by": [name]}),
        ("select", {"table": "w", "order_by": [{"column": name, "desc": True}]}),
        ("select", {"table": "w", "where": {name: 1}}),
        ("select", {"table": "w", "where": {"$or": [{name: {"in": [1]}}]}}),
        ("delete", {"table": "w", "where": {name: None}}),
    ]


@pytest_twisted.ensureDeferred
async def test_identifier_injection(
    client: DriverClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in BAD_NAMES:
        for method, params in _uses_of(name):
            with pytest.raises(InvalidParams):
                await client.protocol.call(method, params)
    unchecked(monkeypatch)
    for name in BAD_NAMES:
        for method, params in _uses_of(name):
            error = await error_of(client.protocol.call(method, params))
            assert error.code == "invalid_params", (method, params)
    _intact(tmp_path)
    assert await client.list_tables() == ["w"]


@pytest_twisted.ensureDeferred
async def test_longest_identifiers(client: DriverClient, tmp_path: Path) -> None:
    table, column = "T" * 63, "_" + "c9" * 31
    schema = {"name": table, "columns": [{"name": column, "type": "text"}]}
    assert await client.create_table(schema) is True
    await client.insert(table, {column: "v"})
    assert await client.select(table, {column: "v"}) == [{column: "v"}]
    assert query(tmp_path, f'SELECT "{column}" FROM "{table}"') == [("v",)]


@pytest_twisted.ensureDeferred
async def test_values_are_stored_literally(
    client: DriverClient, tmp_path: Path
) -> None:
    nasty = [
        "x'); DROP TABLE w; --",
        "Robert'); DELETE FROM w; --",
        '"; UPDATE w SET n = 0; --',
        "%_\\' OR '1'='1",
        "?; SELECT ?",
        "$1 :name @p",
    ]
    for n, text in enumerate(nasty, 10):
        assert await client.insert("w", {"id": n, "s": text}) == n
    for n, text in enumerate(nasty, 10):
        assert await _ids(client, {"s": text}) == [n]
        assert await _ids(client, {"s": {"in": [text, "nothing"]}}) == [n]
        assert await client.update("w", {"s": text}, {"s": text + "!"}) == 1
    stored = query(tmp_path, "SELECT s FROM w WHERE id >= 10 ORDER BY id")
    assert stored == [(text + "!",) for text in nasty]
    result = await client.execute("SELECT id FROM w WHERE s = ?", [nasty[0] + "!"])
    assert result["rows"] == [[10]]
    assert await client.count("w") == len(ROWS) + len(nasty)
    schema = {
        "name": "d",
        "columns": [
            {"name": "id", "type": "integer", "primary_key": True},
            {"name": "s", "type": "text", "default": "'); DROP TABLE w; --"},
        ],
    }
    await client.create_table(schema)
    await client.insert("d", {"id": 1})
    assert await client.select("d") == [{"id": 1, "s": "'); DROP TABLE w; --"}]
    assert sorted(await client.list_tables()) == ["d", "w"]


@pytest_twisted.ensureDeferred
async def test_keywords_as_names(client: DriverClient, tmp_path: Path) -> None:
    order = {
        "name": "order",
        "columns": [
            {"name": "select", "type": "integer", "primary_key": True},
            {"name": "group", "type": "text", "unique": True},
            {"name": "from", "type": "integer", "default": 0},
        ],
        "indexes": [{"name": "where", "columns": ["from"]}],
    }
    assert await client.create_table(order) is True
    assert await client.insert("order", {"group": "g"}) == 1
    upsert = {"target": ["group"], "update": ["from"]}
    assert (
        await client.insert("order", {"group": "g", "from": 5}, on_conflict=upsert) == 1
    )
    assert await client.insert("order", {"group": "h"}, returning=["from"]) == {
        "from": 0
    }
    rows = await client.select(
        "order", {"from": {">=": 0}}, order_by=[{"column": "group", "desc": True}]
    )
    assert rows == [
        {"select": 2, "group": "h", "from": 0},
        {"select": 1, "group": "g", "from": 5},
    ]
    assert await client.update("order", {"group": "h"}, {"from": 1}) == 1
    assert await client.delete("order", {"select": 1}) == 1
    assert query(tmp_path, 'SELECT * FROM "order"') == [(2, "h", 1)]
    assert [c["name"] for c in await client.get_table_info("order")] == [
        "select",
        "group",
        "from",
    ]
    assert await client.drop_table("order") is True


# --- the tree, without a server ---------------------------------------------


@pytest.mark.parametrize(
    ("where", "node"),
    [
        (None, TRUE),
        ({}, TRUE),
        ({"n": 3}, ("cmp", "n", "=", 3)),
        ({"n": None}, ("null", "n", True)),
        ({"n": {"!=": None}}, ("null", "n", False)),
        ({"n": {"!=": 3}}, ("cmp", "n", "<>", 3)),
        ({"s": {"not like": "a%"}}, ("like", "s", "a%", True, False)),
        ({"n": {"in": [1, 2]}}, ("in", "n", [1, 2], False)),
        ({"n": {"not in": [1]}}, ("in", "n", [1], True)),
        ({"n": {"in": []}}, FALSE),
        ({"n": {"between": [1, 2]}}, ("between", "n", 1, 2)),
        ({"n": {"is null": False}}, ("null", "n", False)),
        ({"n": 1, "s": "x"}, ("and", [("cmp", "n", "=", 1), ("cmp", "s", "=", "x")])),
        ({"$or": [{"n": 1}]}, ("cmp", "n", "=", 1)),
        ({"$or": [{"n": 1}, {}]}, TRUE),
        ({"$not": {"n": 1}}, ("not", ("cmp", "n", "=", 1))),
        ({"$not": {}}, FALSE),
    ],
)
def test_parse_where(where: Any, node: Any) -> None:
    assert parse_where(where) == node


@pytest.mark.parametrize("where", [*BAD_WHERES, [], "n = 1"])
def test_bad_where_clauses_without_a_server(where: Any) -> None:
    with pytest.raises(InvalidParams):
        parse_where(where)
