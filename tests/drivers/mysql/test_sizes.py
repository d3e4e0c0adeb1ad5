"""
L{dbdriver.drivers.mysql.sizes}: text and blob columns of keys sized so that
every InnoDB key fits, plain indexes with prefixes where it would not, and
a primary or foreign key too long refused before any DDL.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema


def _schema(columns: list[dict[str, Any]], **keys: Any) -> TableSchema:
    return parse_table({"name": "t", "columns": columns, **keys})


def test_key_text_is_a_varchar() -> None:
    sql = MySQLDialect()
    schema = _schema(
        [
            {"name": "a", "type": "text", "primary_key": True},
            {"name": "b", "type": "text", "max_length": 40},
            {"name": "c", "type": "text", "max_length": 5000},
            {"name": "d", "type": "text"},
            {"name": "e", "type": "blob", "unique": True},
        ],
        indexes=[{"name": "by_b", "columns": ["b"]}],
    )
    column = {c.name: c for c in schema.columns}
    keyed = sql.keyed_columns(schema)
    assert keyed == {"a", "b", "e"}
    assert sql.sized(column["a"], True) == ("VARCHAR(255)", "dbdriver:key")
    assert sql.sized(column["b"], True) == ("VARCHAR(40)", None)
    assert sql.sized(column["c"], False) == ("LONGTEXT", None)
    assert sql.sized(column["d"], False) == ("LONGTEXT", None)
    assert sql.sized(column["e"], True) == ("VARBINARY(1024)", None)


def test_a_key_that_cannot_fit_is_refused() -> None:
    texts = [{"name": n, "type": "text"} for n in "abcd"]
    schema = _schema(texts, primary_key=["a", "b", "c", "d"])
    with pytest.raises(InvalidParams) as caught:
        MySQLDialect().create_table(schema, False)
    assert caught.value.details == {"table": "t", "index": "primary key"}
    three = _schema(texts, primary_key=["a", "b", "c"])
    MySQLDialect().check_sizes(three)  # 3 x 1,022 bytes fit


def test_a_long_plain_index_takes_prefixes() -> None:
    texts = [{"name": n, "type": "text"} for n in "abcd"]
    schema = _schema(texts, indexes=[{"name": "i", "columns": ["a", "b", "c", "d"]}])
    parts = MySQLDialect().index_parts(schema, ["a", "b", "c", "d"])
    assert parts == "`a`(191), `b`(191), `c`(191), `d`(191)"
    assert MySQLDialect().index_parts(schema, ["a"], {"a": "longtext"}) == "`a`(191)"
