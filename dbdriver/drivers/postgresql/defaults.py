"""
Whether a live column's default is the one a definition gives, as
C{sync_schema} asks it on PostgreSQL, whose catalog (C{pg_get_expr}) keeps
each default in a normal form of its own: a literal with the casts that
PostgreSQL adds, a function default as the dialect rendered it (in the
catalog's spelling, L{FUNCTIONS}), an C{{"sql": ...}} default as the server
rewrote it (compared with what the server makes of the given text, in a
scratch table under a savepoint).
"""

from __future__ import annotations

from typing import Any

from dbdriver.drivers.sql.ddl import TableDDL
from dbdriver.requests.tableschema import Column

__all__ = ["FUNCTIONS", "bare", "same_default"]

#: The catalog's spelling of each function default the dialect renders.
FUNCTIONS = {
    "CURRENT_TIMESTAMP": "now",
    "(EXTRACT(epoch FROM CURRENT_TIMESTAMP))::double precision": "now",
    "(floor(EXTRACT(epoch FROM CURRENT_TIMESTAMP)))::bigint": "now",
    "gen_random_uuid()": "uuid",
    "(gen_random_uuid())::text": "uuid",
}
#: The scratch table of L{_spelled}.
_PROBE = "_dbdriver_probe"
_PROBE_SQL = """
SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
WHERE d.adrelid = to_regclass(%s)
"""


def bare(text: str) -> str:
    """An SQL expression without its outer parentheses."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and i < len(text) - 1:
                return text  # "(a) + (b)"
        text = text[1:-1].strip()
    return text


def _normal(text: str | None) -> str | None:
    if text is None or text.strip().upper() == "NULL":
        return None
    text = text.strip()
    return {"TRUE": "1", "FALSE": "0"}.get(text.upper(), text)


def same_default(
    cursor: Any, dialect: TableDDL, live: str | None, column: Column
) -> bool:
    """
    Whether C{live} (the catalog's default text, as C{get_table_info} has
    it) is C{column}'s default; C{cursor} (C{None}: none at hand) lets the
    server compare two spellings of one value.
    """
    default = column.default
    if default is not None and default.kind == "function":
        return live is not None and FUNCTIONS.get(live) == default.value
    if default is not None and default.kind == "sql":
        if live is None:
            return False
        given = str(default.value)
        return bare(live) == bare(given) or live == _spelled(cursor, dialect, column)
    expected = dialect.default_sql(column)
    live, expected = _normal(live), _normal(expected)
    if live == expected:
        return True
    if live is None or expected is None or cursor is None:
        return False
    if not (live.startswith("'") and expected.startswith("'")):
        return False
    # Two spellings of one value (a timestamp, a JSON text, normalised):
    # the server compares them, as the column's type.
    kind = dialect.column_type(column)
    cursor.execute("SAVEPOINT dbdriver_default")
    try:
        cursor.execute(
            f"SELECT ({live})::{kind} IS NOT DISTINCT FROM ({expected})::{kind}"
        )
        same = bool(cursor.fetchone()[0])
    except Exception:
        same = False
        cursor.execute("ROLLBACK TO SAVEPOINT dbdriver_default")
    cursor.execute("RELEASE SAVEPOINT dbdriver_default")
    return same


def _spelled(cursor: Any, dialect: TableDDL, column: Column) -> str | None:
    """
    How the catalog spells C{column}'s default, from a scratch table made
    and dropped under a savepoint (C{None}: it cannot be told).
    """
    if cursor is None:
        return None
    declared = dialect.column_type(column)
    cursor.execute("SAVEPOINT dbdriver_default")
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_PROBE} "
            f'("x" {declared} DEFAULT {dialect.default_sql(column)})'
        )
        cursor.execute(_PROBE_SQL, [_PROBE])
        row = cursor.fetchone()
        spelled = None if row is None else str(row[0])
    except Exception:
        spelled = None
    cursor.execute("ROLLBACK TO SAVEPOINT dbdriver_default")
    cursor.execute("RELEASE SAVEPOINT dbdriver_default")
    return spelled
