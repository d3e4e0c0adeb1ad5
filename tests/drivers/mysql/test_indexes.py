"""
L{dbdriver.drivers.mysql.indexes}: partial and full-text indexes as MariaDB
can hold them (generated columns, triggers, per-column FULLTEXT indexes
over a lower-case copy), and the statements that drop them again.
"""

from __future__ import annotations

from typing import Any

from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.mysql.indexes import (
    fulltext_column,
    fulltext_name,
    generated_name,
    trigger_name,
)
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema


def _schema(indexes: list[dict[str, Any]]) -> TableSchema:
    return parse_table(
        {
            "name": "t",
            "columns": [
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": "p", "type": "integer"},
                {"name": "path", "type": "text"},
                {"name": "body", "type": "text"},
                {"name": "deleted", "type": "integer"},
            ],
            "indexes": indexes,
        }
    )


def test_unique_partial_index_over_generated_columns() -> None:
    where = {"deleted": 0}
    schema = _schema(
        [{"name": "live", "columns": ["p", "path"], "unique": True, "where": where}]
    )
    (index,) = schema.indexes
    (sql,) = MySQLDialect().index_sql(schema, index)
    first, second = generated_name("live", 0), generated_name("live", 1)
    assert sql == (
        f"ALTER TABLE `t` ADD COLUMN IF NOT EXISTS `{first}` BIGINT AS "
        "(IF(`deleted` = 0, `p`, NULL)) VIRTUAL INVISIBLE COMMENT 'dbdriver:of:p', "
        f"ADD COLUMN IF NOT EXISTS `{second}` VARCHAR(255) AS "
        "(IF(`deleted` = 0, `path`, NULL)) VIRTUAL INVISIBLE "
        "COMMENT 'dbdriver:of:path', "
        f"ADD UNIQUE INDEX `live` (`{first}`, `{second}`) COMMENT 'dbdriver:index'"
    )
    drops = MySQLDialect().drop_index_sql("t", index)
    assert drops[-1].endswith(f"DROP COLUMN IF EXISTS `{second}`")


def test_partial_indexes_that_need_no_generated_columns() -> None:
    schema = _schema(
        [
            {"name": "plain", "columns": ["p"], "where": {"deleted": 0}},
            {"name": "keyed", "columns": ["id", "p"], "unique": True,
             "where": {"deleted": 0}},
            {"name": "serial", "columns": ["p"], "unique": True,
             "where": {"id": {">": 5}}},
        ]
    )  # fmt: skip
    keyed, plain, serial = schema.indexes
    dialect = MySQLDialect()
    assert dialect.index_sql(schema, plain) == [
        "CREATE INDEX `plain` ON `t` (`p`) COMMENT 'dbdriver:index'"
    ]
    assert dialect.index_sql(schema, keyed) == [
        "CREATE UNIQUE INDEX `keyed` ON `t` (`id`, `p`) COMMENT 'dbdriver:index'"
    ]
    index, *triggers = dialect.index_sql(schema, serial)
    assert index.endswith("COMMENT 'dbdriver:unique'")
    assert [t.split()[2] for t in triggers] == [
        f"`{trigger_name('serial', 'INSERT')}`",
        f"`{trigger_name('serial', 'UPDATE')}`",
    ]
    assert "MYSQL_ERRNO = 1062" in triggers[0]


def test_fulltext_over_lower_case_copies() -> None:
    schema = _schema(
        [{"name": "docs", "columns": ["path", "body"], "kind": "fulltext"}]
    )
    (index,) = schema.indexes
    statements = MySQLDialect().index_sql(schema, index)
    assert len(statements) == 4
    copy = fulltext_column("body")
    assert f"`{copy}` LONGTEXT AS (LOWER(`body`)) STORED INVISIBLE" in statements[2]
    assert statements[3] == (
        f"CREATE FULLTEXT INDEX `{fulltext_name(index, 1)}` ON `t` (`{copy}`) "
        "COMMENT 'dbdriver:fulltext:docs'"
    )
    assert len(generated_name("x" * 64, 3)) <= 64
