"""
The MySQL backend's pieces that need no server: URI parsing, placeholder
conversion, statement keywords, the dialect's DDL and SQL, the catalog's
type names and defaults, value decoding, the interrupt guard.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest

pytest.importorskip("pymysql")

from dbdriver.drivers.mysql import catalog as catalog
from dbdriver.drivers.mysql.connection import parse_uri
from dbdriver.drivers.mysql.dialect import (
    MySQLDialect,
    convert_placeholders,
    leading_words,
    strip_literals,
)
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.schema import parse_table
from dbdriver.requests.tableschema import TableSchema
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import make_driver


def test_parse_uri() -> None:
    assert parse_uri("mysql://u:p%40ss@db.example:3307/app") == {
        "host": "db.example",
        "port": 3307,
        "database": "app",
        "connect_timeout": 10,
        "user": "u",
        "password": "p@ss",
    }
    params = parse_uri("mariadb://root@localhost/test?unix_socket=/run/m.sock")
    assert params["unix_socket"] == "/run/m.sock"
    assert params["host"] == "localhost" and "password" not in params
    assert (
        parse_uri("mysql:///t?unix_socket=/s&connect_timeout=2")["connect_timeout"] == 2
    )
    assert parse_uri("mysql://h/t?ssl_disabled=true")["ssl_disabled"] is True
    for bad in ("mysql://h:3306/", "mysql://h/a/b", "mysql://h/t?nope=1",
                "mysql://h:port/t", "mysql://h/t?connect_timeout=x"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_uri(bad)


def test_driver_reports_a_bad_uri_as_it_starts() -> None:
    from twisted.internet import reactor

    driver = make_driver(Config(database="mysql://u:secret@h/"), reactor)
    assert driver.backend == "mysql"
    assert "secret" not in driver.database_label
    with pytest.raises(ValueError, match="one database"):
        driver.check()


def test_convert_placeholders() -> None:
    sql = (
        "SELECT ?, '?', \"?\", `?`, 'it''s ?', '100%' -- ? %\n"
        "# ?\n/* ? */ /*!50000 ? */ 5 % ?"
    )
    converted, count = convert_placeholders(sql)
    assert count == 3
    assert converted == (
        "SELECT %s, '?', \"?\", `?`, 'it''s ?', '100%%' -- ? %%\n"
        "# ?\n/* ? */ /*!50000 %s */ 5 %% %s"
    )
    assert convert_placeholders("SELECT 1") == ("SELECT 1", 0)
    assert convert_placeholders("SELECT 1--1, ?") == ("SELECT 1--1, %s", 1)
    assert convert_placeholders("SELECT 'a\\', ?") == ("SELECT 'a\\', %s", 1)


def test_leading_words() -> None:
    assert leading_words("  -- c\n# c\n/* c */ commit") == ["COMMIT"]
    assert leading_words("/*!50000 COMMIT */") == ["COMMIT"]
    assert leading_words("/*M!100000 create temporary table t") == [
        "CREATE",
        "TEMPORARY",
    ]
    assert leading_words(";;") == []
    assert strip_literals("SET @a = 'autocommit' # tx_read_only") == "SET @a =  "


def _schema(value: dict[str, Any]) -> TableSchema:
    return parse_table(value)


def test_create_table_ddl() -> None:
    schema = _schema(
        {
            "name": "f",
            "columns": [
                {"name": "code", "type": "text", "primary_key": True},
                {"name": "n", "type": "bigint", "primary_key": True},
                {
                    "name": "p",
                    "type": "integer",
                    "not_null": True,
                    "references": {
                        "table": "p",
                        "column": "id",
                        "on_delete": "cascade",
                    },
                },
                {"name": "t", "type": "text", "unique": True, "default": "it's"},
                {
                    "name": "at",
                    "type": "timestamp",
                    "default": "2026-01-01T02:00:00+02:00",
                },
                {"name": "b", "type": "blob"},
                {"name": "on", "type": "boolean", "default": True},
            ],
            "unique": [["p", "t"]],
            "indexes": [{"name": "by_tb", "columns": ["t", "b", "n"]}],
        }
    )
    sql, index = MySQLDialect().create_table(schema, True)
    assert sql.startswith(
        "CREATE TABLE IF NOT EXISTS `f` (`code` VARCHAR(255) NOT NULL "
        "COMMENT 'dbdriver:key'"
    )
    assert "`n` BIGINT NOT NULL," in sql
    assert "`p` BIGINT NOT NULL COMMENT 'dbdriver:integer'" in sql
    assert "`t` VARCHAR(255) DEFAULT 'it''s' COMMENT 'dbdriver:key'" in sql
    assert "`at` DATETIME(6) DEFAULT '2026-01-01 00:00:00'" in sql
    assert "`on` BOOLEAN DEFAULT 1" in sql
    assert "PRIMARY KEY (`code`, `n`), UNIQUE (`t`), UNIQUE (`p`, `t`)" in sql
    assert (
        "FOREIGN KEY (`p`) REFERENCES `p` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION"
    ) in sql
    assert sql.endswith(
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
    )
    assert index == (
        "CREATE INDEX `by_tb` ON `f` (`t`, `b`, `n`) COMMENT 'dbdriver:index'"
    )
    (serial,) = MySQLDialect().create_table(
        _schema(
            {
                "name": "s",
                "columns": [
                    {"name": "id", "type": "integer", "primary_key": True},
                    {
                        "name": "k",
                        "type": "blob",
                        "references": {"table": "o", "column": "k"},
                    },
                ],
            }
        ),
        False,
    )
    assert "`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" in serial
    assert "`k` VARBINARY(1024)" in serial


def test_insert_and_limit_sql() -> None:
    dialect = MySQLDialect()
    upsert = {"target": ["k"], "update": ["v"]}
    assert dialect.insert("t", ["k", "v"], upsert, ["id"]) == (
        "INSERT INTO `t` (`k`, `v`) VALUES (%s, %s) "
        "ON DUPLICATE KEY UPDATE `v` = VALUES(`v`) RETURNING `id`"
    )
    assert dialect.insert("t", ["k"], "replace", None).startswith("REPLACE INTO")
    old = MySQLDialect(returning=False)
    assert old.insert("t", ["k", "v"], upsert, ["id"], keep_id="id").endswith(
        "UPDATE `id` = LAST_INSERT_ID(`id`), `v` = VALUES(`v`)"
    )
    assert dialect.limit(None, 5) == " LIMIT 18446744073709551615 OFFSET 5"
    assert dialect.limit(3, None) == " LIMIT 3"
    assert dialect.limit(None, None) == ""


def test_adapt_and_bind_where() -> None:
    dialect = MySQLDialect()
    utc = datetime.datetime(2026, 1, 1, 0, 0)
    assert dialect.adapt("2026-01-01T02:00:00+02:00", "timestamp") == utc
    assert dialect.adapt("2026-01-01T00:00:00", "timestamp") == utc
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    assert dialect.adapt(datetime.datetime(2026, 1, 1, 2, tzinfo=plus2)) == utc
    assert dialect.adapt([1], "json") == "[1]"
    assert dialect.adapt({"a": 1}) == '{"a":1}'
    for bad in (float("inf"), float("nan"), 2**63, -(2**63) - 1):
        with pytest.raises(InvalidParams):
            dialect.adapt(bad)
    with pytest.raises(InvalidParams, match="ISO 8601"):
        dialect.adapt("yesterday", "timestamp")
    node = ("and", [
        ("cmp", "at", "=", "2026-01-01T02:00:00+02:00"),
        ("cmp", "at", "LIKE", "2026%"),
        ("in", "at", ["2026-01-01T00:00:00Z", "junk"], False),
        ("not", ("between", "at", "2026-01-01T00:00:00Z", 5)),
        ("cmp", "t", "=", "2026-01-01T00:00:00Z"),
    ])  # fmt: skip
    bound = dialect.bind_where(node, {"at": "timestamp", "t": "text"})
    assert bound == ("and", [
        ("cmp", "at", "=", utc),
        ("cmp", "at", "LIKE", "2026%"),
        ("in", "at", [utc, "junk"], False),
        ("not", ("between", "at", utc, 5)),
        ("cmp", "t", "=", "2026-01-01T00:00:00Z"),
    ])  # fmt: skip


def test_portable_types_and_defaults() -> None:
    portable = catalog.portable_type
    assert portable("bigint", "bigint(20)", "dbdriver:integer", False) == "integer"
    assert portable("bigint", "bigint(20)", "", False) == "bigint"
    assert portable("bigint", "bigint(20) unsigned", "", False) == "bigint(20) unsigned"
    assert portable("int", "int(11)", "", False) == "integer"
    assert portable("tinyint", "tinyint(1)", "", False) == "boolean"
    assert portable("tinyint", "tinyint(4)", "", False) == "tinyint(4)"
    assert portable("longtext", "longtext", "", True) == "json"
    assert portable("json", "json", "", False) == "json"
    assert portable("varchar", "varchar(766)", "", False) == "text"
    assert portable("varbinary", "varbinary(10)", "", False) == "blob"
    assert portable("datetime", "datetime(6)", "", False) == "timestamp"
    assert portable("decimal", "decimal(10,2)", "", False) == "decimal(10,2)"
    default = catalog._default
    assert default("NULL") is None and default(None) is None
    assert default("'it\\'s a\\\\b\\n'") == "'it''s a\\b\n'"
    assert default("'it''s'") == "'it''s'"
    assert default("current_timestamp(6)") == "current_timestamp(6)"


def test_decoders() -> None:
    other = catalog._other
    assert other(decimal.Decimal("6")) == 6 and type(other(decimal.Decimal("6"))) is int
    assert other(decimal.Decimal("2.50")) == 2.5
    assert other(datetime.date(2026, 1, 2)) == "2026-01-02"
    assert other(datetime.timedelta(hours=-26, seconds=-5)) == "-26:00:05"
    assert other(datetime.timedelta(seconds=1, microseconds=5)) == "00:00:01.000005"
    stamp = catalog._timestamp(datetime.datetime(2026, 1, 2, 3, 4, 5, 6))
    assert stamp == "2026-01-02T03:04:05.000006+00:00"
    assert catalog._timestamp("0000-00-00 00:00:00") == "0000-00-00 00:00:00"
    rows = catalog.decode_rows(
        [(1, '{"a": 1}', None)], [catalog._boolean, catalog._json, catalog._json]
    )
    assert rows == [(True, {"a": 1}, None)]
    assert catalog.type_decoder("decimal(10,2)") is False
    assert catalog.type_decoder("text") is None
