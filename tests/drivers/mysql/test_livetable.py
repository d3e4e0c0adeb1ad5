"""
L{dbdriver.drivers.mysql.livetable}: the catalog queries of sync_schema on
a table the driver made (on the real MariaDB, tests/support/mysql.py).
"""

from __future__ import annotations

from dbdriver.drivers.mysql import livetable
from dbdriver.drivers.mysql.dialect import MySQLDialect
from dbdriver.drivers.schema.plan import ForeignKey
from dbdriver.requests.schema import parse_table
from tests.support.mysql import MySQLDatabase, admin, mysql_db

__all__ = ["mysql_db"]


def test_catalog_queries(mysql_db: MySQLDatabase) -> None:
    dialect = MySQLDialect()
    parent = parse_table(
        {"name": "p", "columns": [{"name": "id", "type": "integer",
                                   "primary_key": True}]}
    )  # fmt: skip
    child = parse_table(
        {
            "name": "c",
            "columns": [
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": "p", "type": "integer",
                 "references": {"table": "p", "column": "id",
                                "on_delete": "cascade"}},
                {"name": "tag", "type": "text", "unique": True,
                 "check": {"tag": {"!=": ""}}},
                {"name": "doc", "type": "json"},
            ],
        }
    )  # fmt: skip
    connection = admin(mysql_db.name)
    try:
        cursor = connection.cursor()
        cursor.execute("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'")
        for schema in (parent, child):
            for statement in dialect.create_table(schema, False):
                cursor.execute(statement.replace("`", '"'))
        keys = livetable.foreign_keys(cursor, "c")
        assert list(keys) == [ForeignKey(("p",), "p", ("id",), "CASCADE")]
        assert livetable.unique_index_names(cursor, "c") == {("tag",): "tag"}
        assert livetable.server_indexes(cursor, "c") == {"p": ["p"]}
        assert livetable.check_names(cursor, "c") == ["c_tag_check"]
        assert livetable.column_checks(cursor, "c") == {"doc"}
        types = livetable.live_types(cursor, "c")
        assert types["tag"] == "varchar(255)|dbdriver:key"
        assert types["id"] == "bigint(20)|dbdriver:integer"
    finally:
        connection.close()


def test_comparison_helpers() -> None:
    assert livetable.catalog_type("BIGINT") == "bigint(20)"
    assert livetable.catalog_type("JSON") == "longtext"
    assert livetable.catalog_type("VARCHAR(8)") == "varchar(8)"
    assert livetable.squeeze("(1 + `a`)") == livetable.squeeze('1+"a"')
    assert livetable.rules("restrict", "no action") == ["RESTRICT", "NO ACTION"]
