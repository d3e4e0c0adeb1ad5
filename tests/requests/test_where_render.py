"""
L{dbdriver.requests.where} without a server: a tree rendered through a
dialect (the parts every backend shares, and the C{like}/C{match} nodes it
hands to the dialect), and the canonical where map of a tree.
"""

from __future__ import annotations

from dbdriver.requests.where import (
    FALSE,
    TRUE,
    Terms,
    parse_where,
    render_where,
    where_columns,
    where_to_wire,
)


def test_render_where() -> None:
    node = parse_where(
        {
            "$or": [{"a": {"in": [1, 2]}}, {"$not": {"b": {"between": [3, 4]}}}],
            "c": {"<": 5, "is null": False},
        }
    )
    sql, params = render_where(node, _Times10())
    assert sql == (
        '(("a" IN (?, ?) OR NOT ("b" BETWEEN ? AND ?)) AND '
        '("c" < ? AND "c" IS NOT NULL))'
    )
    assert params == [10, 20, 30, 40, 50]
    assert where_columns(node) == ["a", "b", "c", "c"]


def test_render_the_constants() -> None:
    same = _Plain()
    assert render_where(TRUE, same) == ("1=1", [])
    assert render_where(FALSE, same) == ("1=0", [])
    assert render_where(("null", "a", True), same) == ("a IS NULL", [])


def test_like_and_match_are_the_dialects() -> None:
    node = parse_where(
        {"a": {"ilike": "x%"}, "b": {"not like": "_"}, "c": {"match": "Def* cb!"}}
    )
    assert node[1][2] == ("match", "c", (("def", True), ("cb", False)))
    sql, params = render_where(node, _Plain())
    assert sql == "(a ~~* %s AND NOT b ~~ %s AND MATCH(c) 2)"
    assert params == ["x%", "_", "def*", "cb"]


def test_the_canonical_form() -> None:
    for where in (
        {"a": 1, "b": {">": 2, "<": 5}},
        {"$or": [{"a": None}, {"b": {"in": [1, 2]}}]},
        {"a": {"is null": False}, "$not": {"c": {"between": [1, 2]}}},
        {"x": {"ilike": "%F%", "not like": "g"}},
    ):
        node = parse_where(where)
        wire = where_to_wire(node)
        assert parse_where(wire) == node
    assert where_to_wire(parse_where({"a": 1, "$and": [{"a": 2}]})) == {
        "$and": [{"a": 1}, {"a": 2}]
    }
    assert where_to_wire(parse_where({"a": {"match": "Call-Back"}})) == {
        "a": {"match": "call back"}
    }


class _Plain:
    """A dialect that renders names bare and values as they are."""

    param = "%s"

    def quote(self, name: str) -> str:
        return name

    def adapt(self, value: object) -> object:
        return value

    def render_like(
        self, column: str, pattern: str, negated: bool, insensitive: bool
    ) -> tuple[str, list[object]]:
        op = "~~*" if insensitive else "~~"
        return f"{'NOT ' if negated else ''}{column} {op} %s", [pattern]

    def render_match(
        self, column: str, terms: Terms, target: str = ""
    ) -> tuple[str, list[object]]:
        words: list[object] = [w + ("*" if p else "") for w, p in terms]
        return f"MATCH({column}) {len(terms)}", words


class _Times10(_Plain):
    def quote(self, name: str) -> str:
        return f'"{name}"'

    param = "?"

    def adapt(self, value: object) -> object:
        assert isinstance(value, int)
        return value * 10

    assert where_columns(TRUE) == []
