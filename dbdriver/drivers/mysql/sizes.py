"""
How MySQL/MariaDB columns are sized for keys: InnoDB keys hold at most
3,072 bytes (4 bytes a character in utf8mb4), so a text column used in a
key or an index is a C{VARCHAR} (its C{max_length}, or C{VARCHAR(255)}
with the comment L{KEY_COMMENT} without one), a blob one C{VARBINARY(1024)};
a primary or foreign key that cannot fit is C{invalid_params} before any
DDL; a unique key that does not fit becomes a C{HASH} key (MariaDB does
that itself); a plain index takes prefixes (the same rows are found).
"""

from __future__ import annotations

from collections.abc import Sequence

from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import InvalidParams
from dbdriver.requests.tableschema import Column, TableSchema

__all__ = [
    "AUTO_COMMENT",
    "FULLTEXT_COMMENT",
    "GENERATED",
    "INDEX_COMMENT",
    "INTEGER_COMMENT",
    "KEY_BYTES",
    "KEY_COMMENT",
    "OF_COMMENT",
    "UNIQUE_COMMENT",
    "VARCHAR_MAX",
    "MySQLSizes",
]

INTEGER_COMMENT = "dbdriver:integer"
#: An C{integer} key declared C{autoincrement} (every single integer key is
#: C{AUTO_INCREMENT}, as SQLite's rowid).
AUTO_COMMENT = "dbdriver:integer autoincrement"
#: A text column sized for a key, without a C{max_length} of its own.
KEY_COMMENT = "dbdriver:key"
INDEX_COMMENT = "dbdriver:index"
#: A partial unique index kept by triggers.
UNIQUE_COMMENT = "dbdriver:unique"
FULLTEXT_COMMENT = "dbdriver:fulltext:"
OF_COMMENT = "dbdriver:of:"
GENERATED = "_dbdriver_"
#: The longest C{max_length} kept as a C{VARCHAR}.
VARCHAR_MAX = 1024
KEY_TEXT, KEY_BLOB = 255, 1024
#: InnoDB's longest index key, in bytes.
KEY_BYTES = 3072
_TEXT_PREFIX, _BLOB_PREFIX = 191, 255
_FIXED_BYTES = {"uuid": 16, "boolean": 1, "timestamp": 8, "real": 8}


class MySQLSizes(Dialect):
    """
    The types of MariaDB columns, sized for the keys they are in.
    """

    types = {
        "integer": "BIGINT",
        "bigint": "BIGINT",
        "real": "DOUBLE",
        "text": "LONGTEXT",
        "blob": "LONGBLOB",
        "boolean": "BOOLEAN",
        "timestamp": "DATETIME(6)",
        "json": "JSON",
        "uuid": "UUID",
    }
    collation = "utf8mb4_nopad_bin"
    length_function = "CHAR_LENGTH"

    # -- sizes -----------------------------------------------------------------

    @staticmethod
    def keyed_columns(schema: TableSchema) -> set[str]:
        """The columns of every key and btree index of C{schema}."""
        names = set(schema.primary_key)
        names |= {n for u in schema.all_unique() for n in u}
        names |= {n for f in schema.all_foreign_keys() for n in f.columns}
        names |= {n for i in schema.indexes if not i.fulltext for n in i.columns}
        return names

    def sized(self, column: Column, keyed: bool) -> tuple[str, str | None]:
        """
        A column's type and comment (C{None}: none).
        """
        if column.type == "text":
            if column.max_length is not None:
                if keyed or column.max_length <= VARCHAR_MAX:
                    return f"VARCHAR({column.max_length})", None
                return "LONGTEXT", None
            if keyed:
                return f"VARCHAR({KEY_TEXT})", KEY_COMMENT
        if column.type == "blob" and keyed:
            return f"VARBINARY({KEY_BLOB})", None
        if column.type == "integer":
            return "BIGINT", AUTO_COMMENT if column.autoincrement else INTEGER_COMMENT
        return self.types[column.type], None

    @staticmethod
    def key_bytes(column: Column, keyed: bool) -> int:
        """The most bytes a value of C{column} takes in a key."""
        if column.type == "text":
            size = column.max_length or KEY_TEXT
            return 4 * size + 2 if (keyed or size <= VARCHAR_MAX) else 4 * size
        if column.type == "blob":
            return KEY_BLOB + 2
        return _FIXED_BYTES.get(column.type, 8)

    def check_sizes(self, schema: TableSchema) -> None:
        """
        L{InvalidParams} naming the first primary or foreign key that InnoDB
        cannot hold (over 3,072 bytes), before any DDL runs.
        """
        keyed = self.keyed_columns(schema)
        columns = {c.name: c for c in schema.columns}
        keys = [("primary key", schema.primary_key)]
        keys += [
            (f"foreign key ({', '.join(f.columns)})", f.columns)
            for f in schema.all_foreign_keys()
        ]
        for what, names in keys:
            size = sum(self.key_bytes(columns[n], n in keyed) for n in names)
            if size > KEY_BYTES:
                raise InvalidParams(
                    f"table {schema.name}: the {what} needs {size} bytes; "
                    f"MariaDB keys hold {KEY_BYTES} (a text column in a key "
                    f"without max_length takes {4 * KEY_TEXT + 2}): give its "
                    "text columns a smaller max_length",
                    {"table": schema.name, "index": what},
                )

    def index_parts(
        self,
        schema: TableSchema,
        columns: Sequence[str],
        live: dict[str, str] | None = None,
    ) -> str:
        """
        A non-unique index's columns, with prefixes where the whole key
        would be longer than InnoDB's (the same rows are found); C{live}:
        the column types as they are (an index added to a table).
        """
        keyed = self.keyed_columns(schema)
        if live is not None:
            keyed = {n for n in columns if not live.get(n, "").startswith("long")}
        found = {c.name: c for c in schema.columns}
        known = [found[n] for n in columns if n in found]
        total = sum(self.key_bytes(c, c.name in keyed) for c in known)
        parts = []
        for name in columns:
            column = found.get(name)
            prefix = ""
            if column is not None and column.type in ("text", "blob", "json"):
                long = column.type == "json" or (
                    column.name not in keyed
                    and (column.max_length or VARCHAR_MAX + 1) > VARCHAR_MAX
                )
                if long or total > KEY_BYTES:
                    size = _BLOB_PREFIX if column.type == "blob" else _TEXT_PREFIX
                    prefix = f"({size})"
            parts.append(self.quote(name) + prefix)
        return ", ".join(parts)
