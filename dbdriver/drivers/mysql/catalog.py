"""
What the MySQL backend reads back: the catalog (C{get_table_info},
C{list_tables}) in the shape SQLite gives it, and result values as they go
on the wire (booleans, timestamps, JSON; PROTOCOL.md "Values on the wire").
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pymysql.cursors
from pymysql.constants import FIELD_TYPE

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.mysql.ddl import GENERATED, INTEGER_COMMENT
from dbdriver.drivers.sql.records import CatalogColumn

__all__ = [
    "Decoder",
    "DecodingCursor",
    "DecodingStreamCursor",
    "decode_rows",
    "field_decoder",
    "table_columns",
    "table_names",
    "type_decoder",
    "unescape_literal",
    "unique_keys",
]

Decoder = Callable[[Any], Any] | None

_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "Z": "\x1a"}
_TEXT = frozenset(
    {"longtext", "mediumtext", "text", "tinytext", "varchar", "char"}
)  # fmt: skip
_BLOB = frozenset(
    {"longblob", "mediumblob", "blob", "tinyblob", "varbinary", "binary"}
)  # fmt: skip
# The server shows the check in the session's quoting (ANSI_QUOTES: ").
_JSON_CHECK = re.compile(
    r"""json_valid\((?:`((?:[^`]|``)+)`|"((?:[^"]|"")+)")\)""", re.IGNORECASE
)


def portable_type(data_type: str, column_type: str, comment: str, is_json: bool) -> str:
    """
    The portable name of a column's type where it maps to one, else the
    server's type in lower case.
    """
    data_type, column_type = data_type.lower(), column_type.lower()
    signed = "unsigned" not in column_type
    if is_json or data_type == "json":
        return "json"
    if data_type == "bigint" and signed:
        return "integer" if comment.startswith(INTEGER_COMMENT) else "bigint"
    if data_type == "uuid":
        return "uuid"
    if data_type == "int" and signed:
        return "integer"
    if column_type == "tinyint(1)":
        return "boolean"
    if data_type == "double":
        return "real"
    if data_type in _TEXT:
        return "text"
    if data_type in _BLOB:
        return "blob"
    if data_type == "datetime":
        return "timestamp"
    return column_type


def table_columns(cursor: DBCursor, table: str, mariadb: bool) -> list[CatalogColumn]:
    """
    The columns (C{get_table_info}'s rows) of a table of the current database; empty if
    there is no such table.
    """
    cursor.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
        "COLUMN_DEFAULT, COLUMN_KEY, EXTRA, COLUMN_COMMENT "
        "FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION",
        (table,),
    )
    # information_schema compares names without case; tables do not.
    rows = [
        r[1:]
        for r in cursor.fetchall()
        if r[0] == table and not r[1].startswith(GENERATED)
    ]
    json_columns: set[str] = set()
    if mariadb and any(r[1].lower() == "longtext" for r in rows):
        cursor.execute(
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            (table,),
        )
        for (clause,) in cursor.fetchall():
            match = _JSON_CHECK.fullmatch(clause.strip())
            if match:
                quoted = match.group(1) or match.group(2)
                json_columns.add(quoted.replace("``", "`").replace('""', '"'))
    columns = []
    for name, data_type, column_type, nullable, default, key, extra, comment in rows:
        # An AUTO_INCREMENT key takes NULL for "the next id", as SQLite's
        # rowid does (which reports it nullable too).
        serial = "auto_increment" in extra.lower()
        columns.append(
            CatalogColumn(
                name,
                portable_type(data_type, column_type, comment, name in json_columns),
                nullable == "NO" and not serial,
                _default(default),
                key == "PRI",
                generated=serial,
            )
        )
    return columns


def _default(text: str | None) -> str | None:
    """
    A default as SQL text, string literals in standard SQL (MariaDB shows
    them with backslash escapes); C{None} for none (MariaDB shows C{NULL}).
    """
    if text is None or text == "NULL":
        return None
    if len(text) >= 2 and text[0] == text[-1] == "'":
        value = unescape_literal(text[1:-1])
        return "'" + value.replace("'", "''") + "'"
    return text


def unescape_literal(text: str) -> str:
    """
    The value of a string literal's inside as the catalog shows it
    (backslash escapes, doubled quotes).
    """
    return _ESCAPE.sub(_unescape, text)


def _unescape(match: re.Match[str]) -> str:
    char = match.group(1)
    return "'" if char is None else _ESCAPES.get(char, char)


def table_names(cursor: DBCursor) -> list[str]:
    cursor.execute(
        "SELECT TABLE_NAME FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
    )
    return sorted(name for (name,) in cursor.fetchall())


def unique_keys(cursor: DBCursor, table: str) -> list[list[tuple[str, int | None]]]:
    """
    A table's unique keys (its primary key included), each as its columns
    in index order with their prefix lengths (C{None}: the whole value).
    """
    cursor.execute(
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, SUB_PART "
        "FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND NON_UNIQUE = 0 "
        "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (table,),
    )
    keys: dict[str, list[tuple[str, int | None]]] = {}
    for name, index, column, prefix in cursor.fetchall():
        if name == table:  # (information_schema compares names without case)
            part = None if prefix is None else int(prefix)
            keys.setdefault(index, []).append((column, part))
    return list(keys.values())


# -- values -------------------------------------------------------------------------


def _boolean(value: object) -> object:
    return value if value is None else bool(value)


def _json(value: Any) -> Any:
    return value if value is None else json.loads(value)


def _timestamp(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.UTC).isoformat()
    return value


def _other(value: object) -> object:
    """
    Values CBOR would carry differently from SQLite's: dates and times as
    ISO text, decimals as integers (no fraction digits) or floats.
    """
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        sign = "-" if value < datetime.timedelta(0) else ""
        span = abs(value)
        minutes, seconds = divmod(span.days * 86400 + span.seconds, 60)
        text = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"
        return f"{text}.{span.microseconds:06d}" if span.microseconds else text
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return float(value)
    return value


_BY_TYPE: dict[str, Decoder] = {
    "boolean": _boolean,
    "json": _json,
    "timestamp": _timestamp,
    "integer": None,
    "bigint": None,
    "real": None,
    "text": None,
    "blob": None,
    "uuid": None,
}
_BY_CODE: dict[int, Decoder] = {
    FIELD_TYPE.JSON: _json,
    FIELD_TYPE.DATETIME: _timestamp,
    FIELD_TYPE.TIMESTAMP: _timestamp,
    FIELD_TYPE.DATE: _other,
    FIELD_TYPE.NEWDATE: _other,
    FIELD_TYPE.TIME: _other,
    FIELD_TYPE.DECIMAL: _other,
    FIELD_TYPE.NEWDECIMAL: _other,
}


def type_decoder(column_type: str | None) -> Decoder | bool:
    """
    The decoder of a portable column type (C{None}: the value is right as
    it is); C{False} when the type is not portable.
    """
    if column_type is None or column_type not in _BY_TYPE:
        return False
    return _BY_TYPE[column_type]


def field_decoder(field: Any) -> Decoder:
    """
    The decoder of a result column from its metadata alone.
    """
    code = getattr(field, "type_code", None)
    if code == FIELD_TYPE.TINY and getattr(field, "length", None) == 1:
        return _boolean
    return _BY_CODE.get(code) if isinstance(code, int) else None


def decode_rows(rows: Sequence[Sequence[Any]], decoders: list[Decoder]) -> list[Any]:
    """
    C{rows} with each value passed through its column's decoder.
    """
    if not any(decoders):
        return list(rows)
    pairs = list(enumerate(decoders))
    return [
        tuple(
            row[i] if decode is None or row[i] is None else decode(row[i])
            for i, decode in pairs
        )
        for row in rows
    ]


def result_decoders(cursor: DBCursor, load: bool) -> list[Decoder]:
    """
    The decoders of the columns of a cursor's result: the portable type of
    the table column a result column comes from, where its metadata names
    one of the connection's database, else what the result's types say.
    """
    result = getattr(cursor, "_result", None)
    fields = getattr(result, "fields", None) or ()
    connection = cursor.connection
    lookup = getattr(connection, "column_types", None)
    database = connection.db
    if isinstance(database, str):
        database = database.encode()
    tables: dict[str, dict[str, str] | None] = {}
    decoders: list[Decoder] = []
    for field in fields:
        table = field.org_table
        if lookup is not None and table and field.db == database:
            if table not in tables:
                tables[table] = lookup(connection, table, load)
            types = tables[table]
            if types is not None:
                decoder = type_decoder(types.get(field.org_name))
                if decoder is not False:
                    decoders.append(decoder)  # type: ignore[arg-type]
                    continue
        decoders.append(field_decoder(field))
    return decoders


class DecodingCursor(pymysql.cursors.Cursor):  # type: ignore[misc]
    """
    A buffered cursor whose rows come out as wire values.
    """

    _rows: Any

    def _do_get_result(self) -> None:
        super()._do_get_result()
        if self._rows:
            self._rows = decode_rows(self._rows, result_decoders(self, True))


class DecodingStreamCursor(pymysql.cursors.SSCursor):  # type: ignore[misc]
    """
    An unbuffered cursor (rows are read as they are fetched) whose rows
    come out as wire values; it cannot ask the catalog (the connection is
    busy with its rows), so it knows the tables the driver has seen.
    """

    _decoders: list[Decoder] = []

    def _do_get_result(self) -> None:
        super()._do_get_result()
        self._decoders = result_decoders(self, False) if self.description else []

    def _conv_row(self, row: Any) -> Any:
        if row is None or not any(self._decoders):
            return row
        return decode_rows((row,), self._decoders)[0]
