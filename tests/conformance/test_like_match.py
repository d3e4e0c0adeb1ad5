"""
Pattern and full-text matching give the same rows on every backend
(PROTOCOL.md section 4, "Where clauses"): C{like} / C{not like} are
case-sensitive, C{ilike} / C{not ilike} case-insensitive, C{%} and C{_} are
the only wildcards and a backslash is an ordinary character; C{match} over a
C{fulltext} index ANDs its terms, takes C{term*} prefixes, ignores
punctuation, sees committed writes, and is refused on an unindexed column.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from tests.support.data import error_of

WORDS = ["Factory", "factory", "FACTORY", "myFactoryBean", "other", "fact_ory",
         "50%off", "a\\b", "ab"]  # fmt: skip

WORDS_TABLE = {
    "name": "words",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "w", "type": "text", "not_null": True},
    ],
}


async def _words(client: DriverClient) -> Any:
    await client.create_table(WORDS_TABLE)
    await client.insert_many("words", [{"w": w} for w in WORDS])

    async def matching(op: str, pattern: str) -> set[str]:
        rows = await client.select("words", {"w": {op: pattern}}, columns=["w"])
        return {r["w"] for r in rows}

    return matching


@pytest_twisted.ensureDeferred
async def test_like_is_case_sensitive(client: DriverClient) -> None:
    matching = await _words(client)
    assert await matching("like", "%factory%") == {"factory"}
    assert await matching("like", "%Factory%") == {"Factory", "myFactoryBean"}
    assert await matching("like", "FACTORY") == {"FACTORY"}
    assert await matching("not like", "%actory%") == set(WORDS) - {
        "Factory", "factory", "myFactoryBean"}  # fmt: skip


@pytest_twisted.ensureDeferred
async def test_ilike_is_case_insensitive(client: DriverClient) -> None:
    matching = await _words(client)
    every = {"Factory", "factory", "FACTORY", "myFactoryBean"}
    assert await matching("ilike", "%factory%") == every
    assert await matching("ilike", "%FACTORY%") == every
    assert await matching("ilike", "factory") == every - {"myFactoryBean"}
    assert await matching("ilike", "F_CTORY") == every - {"myFactoryBean"}
    assert await matching("not ilike", "%factory%") == set(WORDS) - every


@pytest_twisted.ensureDeferred
async def test_wildcards(client: DriverClient) -> None:
    matching = await _words(client)
    assert await matching("like", "f_ctory") == {"factory"}
    assert await matching("like", "fact_ory") == {"fact_ory"}
    assert await matching("like", "fact%ory") == {"factory", "fact_ory"}
    assert await matching("like", "_") == set()
    assert await matching("like", "__") == {"ab"}
    assert await matching("like", "50%") == {"50%off"}
    assert await matching("like", "%") == set(WORDS)


@pytest_twisted.ensureDeferred
async def test_backslash_is_an_ordinary_character(client: DriverClient) -> None:
    matching = await _words(client)
    assert await matching("like", "a\\b") == {"a\\b"}
    assert await matching("like", "%\\%") == {"a\\b"}
    assert await matching("like", "a\\_") == {"a\\b"}
    assert await matching("ilike", "A\\B") == {"a\\b"}
    assert await matching("not like", "%\\%") == set(WORDS) - {"a\\b"}


CORPUS = {
    1: "reactor runs deferred callback chains",
    2: "protocol factory builds transport objects",
    3: "deferred errback handles failure",
    4: "socket transport writes buffer bytes",
    5: "reactor schedules timeout calls",
    6: "cursor fetches database rows",
    7: "parser reads token stream",
    8: "logger records signal events",
    9: "thread pool executes blocking calls",
    10: "deferlater wraps delayed calls",
    11: "schema index keeps database consistent",
    12: "queue holds pending requests",
    13: "callback, protocol; transport... reactor!",
    14: "Reactor Deferred Callback",
}

DOCS = {
    "name": "docs",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "title", "type": "text"},
        {"name": "body", "type": "text"},
    ],
    "indexes": [{"name": "docs_body", "columns": ["body"], "kind": "fulltext"}],
}

QUERIES = [
    ("reactor", {1, 5, 13, 14}),
    ("deferred callback", {1, 14}),
    ("callback deferred", {1, 14}),
    ("defer*", {1, 3, 10, 14}),
    ("deferl*", {10}),
    ("transport", {2, 4, 13}),
    ("reactor, callback!", {1, 13, 14}),
    ("  database   ", {6, 11}),
    ("database transport", set()),
    ("zebra", set()),
    ("reactor zebra", set()),
]


async def _docs(client: DriverClient) -> Any:
    await client.create_table(DOCS)
    rows = [{"id": k, "title": f"doc {k}", "body": v} for k, v in CORPUS.items()]
    await client.insert_many("docs", rows)

    async def found(query: str, **where: Any) -> set[int]:
        rows = await client.select(
            "docs", {"body": {"match": query}, **where}, columns=["id"]
        )
        return {r["id"] for r in rows}

    return found


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
@pytest_twisted.ensureDeferred
async def test_match(client: DriverClient, query: str, expected: set[int]) -> None:
    found = await _docs(client)
    assert await found(query) == expected
    assert await client.count("docs", {"body": {"match": query}}) == len(expected)


@pytest_twisted.ensureDeferred
async def test_match_with_other_conditions(client: DriverClient) -> None:
    found = await _docs(client)
    assert await found("reactor", id={">": 4}) == {5, 13, 14}
    rows = await client.select(
        "docs",
        {"$or": [{"body": {"match": "transport"}}, {"id": 12}]},
        columns=["id"],
        order_by=[{"column": "id", "desc": True}],
    )
    assert [r["id"] for r in rows] == [13, 12, 4, 2]
    rows = await client.select("docs", {"$not": {"body": {"match": "calls"}}})
    assert {r["id"] for r in rows} == set(CORPUS) - {5, 9, 10}


@pytest_twisted.ensureDeferred
async def test_match_sees_committed_writes(client: DriverClient) -> None:
    found = await _docs(client)
    tx = await client.transaction().begin()
    await tx.insert("docs", {"id": 20, "body": "gizmo reactor"})
    await tx.insert_many(
        "docs", [{"id": 21, "body": "gizmo widget"}, {"id": 22, "body": "widget"}]
    )
    await tx.update("docs", {"id": 5}, {"body": "gizmo timeout"})
    await tx.delete("docs", {"id": 1})
    await tx.commit()
    assert await found("gizmo") == {5, 20, 21}
    assert await found("reactor") == {13, 14, 20}
    assert await found("widget") == {21, 22}
    assert await found("schedules") == set()
    assert await client.update("docs", {"id": 22}, {"body": None}) == 1
    assert await found("widget") == {21}
    tx = await client.transaction().begin()
    await tx.insert("docs", {"id": 30, "body": "phantom"})
    await tx.rollback()
    assert await found("phantom") == set()


@pytest_twisted.ensureDeferred
async def test_match_needs_a_fulltext_index(client: DriverClient) -> None:
    await _docs(client)
    error = await error_of(client.select("docs", {"title": {"match": "doc"}}))
    assert error.code == "invalid_params"
    error = await error_of(client.count("docs", {"id": {"match": "1"}}))
    assert error.code == "invalid_params"
    error = await error_of(client.select("docs", {"body": {"match": 5}}))
    assert error.code == "invalid_params"
