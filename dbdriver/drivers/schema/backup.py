"""
Backups taken by C{sync_schema} before it changes anything (docs/schema.md
says how to restore each kind).

 - SQLite: a consistent copy of the whole database through the C{sqlite3}
   backup API, written under a temporary name, switched to a single-file
   journal mode, checked with C{PRAGMA integrity_check}, synced, then
   renamed into place (a crash never leaves a half-written file under the
   final name).
 - Database servers: a data export of the tables a plan rebuilds or alters,
   one JSON-lines file per table plus a C{manifest.json}
   (L{export_tables}); L{read_export} reads it back for a restore.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import io
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dbdriver.drivers.interfaces import DBCursor
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.drivers.sql.uri import parse_database
from dbdriver.exceptions import Busy, InternalError, InvalidParams

__all__ = [
    "EXPORT_FORMAT",
    "backup_root",
    "backup_sqlite",
    "export_tables",
    "read_export",
    "resolve_backup_dir",
    "stamp",
    "verify_sqlite",
]

#: The C{format} of an export's manifest.
EXPORT_FORMAT = "dbdriver-export"


def stamp(now: datetime.datetime | None = None) -> str:
    """A UTC timestamp for file names: C{20261127T035941.123456Z}."""
    now = now or datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y%m%dT%H%M%S.%fZ")


def backup_root(database: str, configured: str | None) -> str:
    """
    The directory every C{backup_dir} must resolve inside, absolute:
    C{configured} (C{--backup-root}) or C{backups} beside the SQLite file
    C{database}, or C{./backups} for a server database or a memory one.
    """
    if configured is not None:
        return os.path.abspath(configured)
    parsed = parse_database(database)
    path = parsed.database
    if parsed.backend != "sqlite" or path == ":memory:" or path.startswith("file:"):
        return os.path.abspath("backups")
    return os.path.join(os.path.dirname(os.path.abspath(path)), "backups")


def resolve_backup_dir(root: str, backup_dir: str) -> str:
    """
    C{backup_dir} (relative ones are taken from C{root}) resolved, symlinks
    followed, if it is C{root} or inside it.

    @raise InvalidParams: it resolves elsewhere.
    """
    real_root = os.path.realpath(root)
    try:
        resolved = os.path.realpath(os.path.join(real_root, backup_dir))
    except (ValueError, OSError) as e:
        raise InvalidParams(f"backup_dir {_quoted(backup_dir)}: {e}") from None
    if os.path.commonpath([real_root, resolved]) != real_root:
        raise InvalidParams(
            f"backup_dir {_quoted(backup_dir)} is outside the backup root "
            f"{real_root} (--backup-root)",
            {"backup_root": real_root},
        )
    return resolved


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 200 else text[:200] + "...")


def _make_directories(path: str) -> None:
    """C{path} and its missing parents, each created owner-only (0700)."""
    missing: list[str] = []
    while not os.path.isdir(path):  # "/" is one: this ends
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        _make_directory(directory)


def _make_directory(path: str) -> None:
    os.mkdir(path, 0o700)
    os.chmod(path, 0o700)  # whatever the umask


def _create_file(path: str) -> int:
    """A new, empty, owner-only (0600) file; its descriptor."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    return fd


def _target(backup_dir: str, stem: str, suffix: str) -> str:
    """A new path in C{backup_dir} (created if needed) named by the time."""
    try:
        _make_directories(os.path.abspath(backup_dir))
    except OSError as e:
        raise InvalidParams(
            f"backup_dir {_quoted(backup_dir)}: {e.strerror or e}"
        ) from None
    base = os.path.join(os.path.abspath(backup_dir), f"{stem}-{stamp()}")
    path, n = base + suffix, 1
    while os.path.exists(path) or os.path.exists(path + ".partial"):
        n += 1
        path = f"{base}-{n}{suffix}"
    return path


def _sync_directory(path: str) -> None:
    fd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_sqlite(
    source: sqlite3.Connection, backup_dir: str, stem: str, busy_timeout: float
) -> str:
    """
    Copy the database of C{source} (which must not be in a write
    transaction) into a new file of C{backup_dir}; its path.

    Raises L{Busy} if the source stays locked for C{busy_timeout} seconds.
    """
    path = _target(backup_dir, stem, ".sqlite3")
    partial = path + ".partial"
    started = time.monotonic()

    def progress(status: int, remaining: int, total: int) -> None:
        waited = time.monotonic() - started
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and (
            waited > busy_timeout
        ):
            raise Busy(f"the database stayed locked for the backup ({waited:.1f} s)")

    try:
        os.close(_create_file(partial))  # SQLite's journal takes its mode
        target = sqlite3.connect(partial)
        try:
            source.backup(target, progress=progress)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        verify_sqlite(partial)
        os.replace(partial, path)
        _sync_directory(path)
    except BaseException:
        for leftover in (partial, partial + "-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise
    return path


def verify_sqlite(path: str) -> None:
    """Open a database file and run C{PRAGMA integrity_check} on it."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as e:
        rows = [(str(e),)]
    if rows != [("ok",)]:
        raise InternalError(
            f"the backup {path} fails its integrity check", {"problems": rows[:20]}
        )


# -- data exports (database servers) -------------------------------------------


def _encode(value: Any) -> Any:
    """A database value as JSON: tagged maps where JSON has no such type."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TAGS:
        return {"$map": value}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        decode = _TAGS.get(tag)
        if decode is not None:
            return decode(inner)
    return value


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$base64": lambda v: base64.b64decode(v),
    "$decimal": decimal.Decimal,
    "$float": float,
    "$seconds": lambda v: datetime.timedelta(seconds=v),
    "$map": lambda v: v,
}


def export_tables(
    cursor: DBCursor,
    quote: Callable[[str], str],
    tables: Sequence[tuple[str, Sequence[CatalogColumn]]],
    backup_dir: str,
    backend: str,
) -> str:
    """
    Export the rows of C{tables} (name, catalog columns) through a
    DB-API C{cursor}, inside the caller's transaction; the export's
    directory: C{manifest.json} and one C{<table>.jsonl} per table, one
    JSON object per row.
    """
    directory = _target(backup_dir, f"{backend}-export", "")
    partial = directory + ".partial"
    _make_directory(partial)
    manifest: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "backend": backend,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "tables": [],
    }
    for name, columns in tables:
        file_name = f"{name}.jsonl"
        cursor.execute(f"SELECT * FROM {quote(name)}")
        assert cursor.description is not None  # a SELECT has columns
        names = [d[0] for d in cursor.description]
        rows = 0
        with _open(os.path.join(partial, file_name)) as out:
            while batch := cursor.fetchmany(1000):
                for row in batch:
                    record = {n: _encode(v) for n, v in zip(names, row, strict=True)}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    rows += 1
            out.flush()
            os.fsync(out.fileno())
        manifest["tables"].append(
            {
                "name": name,
                "file": file_name,
                "rows": rows,
                "columns": [c.to_wire() for c in columns],
            }
        )
    with _open(os.path.join(partial, "manifest.json")) as out:
        json.dump(manifest, out, indent=1, default=str)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, directory)
    _sync_directory(directory)
    return directory


def _open(path: str) -> io.TextIOWrapper:
    return os.fdopen(_create_file(path), "w", encoding="utf-8")


def read_export(
    directory: str,
) -> Iterator[tuple[str, list[dict[str, Any]], Iterator[dict[str, Any]]]]:
    """
    The tables of an export: (name, columns in their wire form, rows) with
    values decoded (bytes, decimals, non-finite floats); timestamps stay ISO
    text.
    """
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{directory} is not a {EXPORT_FORMAT}")
    for table in manifest["tables"]:
        path = os.path.join(directory, table["file"])
        yield table["name"], table["columns"], _rows(path)


def _rows(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield {k: _decode(v) for k, v in json.loads(line).items()}
