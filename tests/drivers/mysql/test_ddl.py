"""
L{dbdriver.drivers.mysql.ddl}: the columns of a table schema as MariaDB
columns (function defaults, lengths, the comments that describe_table
reads) and the table's keys and checks.
"""

from __future__ import annotations

from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.requests.schema import parse_table

SCHEMA = parse_table(
    {
        "name": "t",
        "columns": [
            {"name": "id", "type": "uuid", "primary_key": True,
             "default": {"function": "uuid"}},
            {"name": "at", "type": "timestamp", "default": {"function": "now"}},
            {"name": "unix", "type": "real", "default": {"function": "now"}},
            {"name": "n", "type": "integer", "default": {"function": "now"},
             "check": {"n": {">": 0}}},
            {"name": "long", "type": "text", "max_length": 5000},
            {"name": "short", "type": "text", "max_length": 8},
            {"name": "p", "type": "uuid",
             "references": {"table": "t", "column": "id"}},
        ],
        "checks": [{"name": "short_set", "where": {"short": {"!=": ""}}}],
    }
)  # fmt: skip


def test_columns() -> None:
    (sql,) = MySQLDialect().create_table(SCHEMA, False)
    assert "`id` UUID NOT NULL PRIMARY KEY DEFAULT (LOWER(CONCAT(" in sql
    assert "`at` DATETIME(6) DEFAULT UTC_TIMESTAMP(6)" in sql
    assert "`unix` DOUBLE DEFAULT (UNIX_TIMESTAMP(CURRENT_TIMESTAMP(6)))" in sql
    assert "`n` BIGINT DEFAULT (UNIX_TIMESTAMP()) COMMENT 'dbdriver:integer'" in sql
    assert "`long` LONGTEXT CHECK (CHAR_LENGTH(`long`) <= 5000)" in sql
    assert "`short` VARCHAR(8)," in sql


def test_keys_and_checks_are_the_tables() -> None:
    (sql,) = MySQLDialect().create_table(SCHEMA, False)
    assert (
        "FOREIGN KEY (`p`) REFERENCES `t` (`id`) ON DELETE NO ACTION "
        "ON UPDATE NO ACTION"
    ) in sql
    assert "CONSTRAINT `t_n_check` CHECK (`n` > 0)" in sql
    assert "CONSTRAINT `short_set` CHECK (`short` <> '')" in sql
