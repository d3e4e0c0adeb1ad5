"""
What a SQLite C{sync_schema} checks of the rows, since a rebuild runs with
foreign keys off and copies values as they are: a column becoming C{json}
holds JSON text, and every foreign key of a rebuilt table (or of one that
refers to it) holds before the commit.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.schema.plan import Plan, Rebuild
from dbdriver.drivers.sql.dialect import Dialect
from dbdriver.exceptions import ConstraintViolation

__all__ = ["check_json", "verify_foreign_keys"]

#: The most foreign-key violations a constraint_violation error lists.
_SHOWN = 20


def check_json(cursor: DBCursor, dialect: Dialect, step: Rebuild) -> None:
    """A column becoming C{json} must hold JSON text already."""
    for column in step.schema.columns:
        live = step.live.column(column.name)
        if column.type != "json" or live is None or live.type == "json":
            continue
        cursor.execute(
            f"SELECT count(*) FROM {dialect.quote(step.schema.name)} "
            f"WHERE {dialect.quote(column.name)} IS NOT NULL "
            f"AND NOT json_valid({dialect.quote(column.name)})"
        )
        bad = int(cursor.fetchone()[0])
        if bad:
            raise ConstraintViolation(
                f"table {step.schema.name}: {bad} values of column "
                f"{column.name} are not JSON text; it cannot become json",
                {"table": step.schema.name, "column": column.name, "rows": bad},
            )


def verify_foreign_keys(cursor: DBCursor, names: list[str], plan: Plan) -> None:
    """
    The foreign keys of every rebuilt table, and of every table that
    refers to one, hold (they went unchecked with foreign keys off).
    """
    rebuilt = {s.schema.name for s in plan.rebuilt()}
    if not rebuilt:
        return
    tables = set(rebuilt)
    for name in names:
        cursor.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
        if any(parent in rebuilt for (parent,) in cursor.fetchall()):
            tables.add(name)
    violations: list[dict[str, Any]] = []
    count = 0
    for name in sorted(tables):
        try:
            cursor.execute("SELECT * FROM pragma_foreign_key_check(?)", (name,))
        except sqlite3.OperationalError as e:  # "foreign key mismatch"
            raise ConstraintViolation(
                f"{e}: the referenced columns are no key; nothing was changed",
                {"table": name},
            ) from None
        for table, rowid, parent, key in cursor.fetchall():
            count += 1
            if len(violations) < _SHOWN:
                violations.append(
                    {"table": table, "rowid": rowid, "parent": parent, "fkid": key}
                )
    if count:
        raise ConstraintViolation(
            f"{count} rows would break foreign keys of the new schema; "
            "nothing was changed",
            {"violations": violations, "count": count},
        )
