"""
L{dbdriver.drivers.sql.records}: a catalog column's wire form is
C{get_table_info}'s row, its fields in the protocol's order, without the
fields the driver keeps for itself; an index matches the definition's index
of the same columns and uniqueness, never a partial one.
"""

from __future__ import annotations

import cbor2

from dbdriver.drivers.sql.records import CatalogColumn, CatalogIndex
from dbdriver.requests.tableschema import Index


def test_a_column_sends_the_protocol_fields_in_order() -> None:
    column = CatalogColumn("id", "integer", True, "7", True, generated=True)
    wire = column.to_wire()
    assert list(wire) == ["name", "type", "not_null", "default", "primary_key"]
    assert wire == {
        "name": "id",
        "type": "integer",
        "not_null": True,
        "default": "7",
        "primary_key": True,
    }
    # the bytes the dicts of the catalogs sent before
    before = {
        "name": "id",
        "type": "integer",
        "not_null": True,
        "default": "7",
        "primary_key": True,
    }
    assert cbor2.dumps(wire) == cbor2.dumps(before)


def test_a_column_defaults_to_a_plain_nullable_one() -> None:
    column = CatalogColumn("k", "text")
    assert (column.not_null, column.default, column.primary_key) == (
        False,
        None,
        False,
    )
    assert not column.generated
    assert column == CatalogColumn("k", "text")


def test_an_index_matches_its_definition() -> None:
    live = CatalogIndex("i", ("a", "b"), unique=True)
    assert live.matches(Index("i", ("a", "b"), unique=True))
    assert not live.matches(Index("i", ("a", "b")))
    assert not live.matches(Index("i", ("b", "a"), unique=True))
    partial = CatalogIndex("i", ("a", "b"), unique=True, partial=True)
    assert not partial.matches(Index("i", ("a", "b"), unique=True))
