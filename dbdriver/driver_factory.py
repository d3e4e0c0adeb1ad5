"""
Which driver a C{--database} value asks for (PROTOCOL.md section 8).
"""

from __future__ import annotations

from typing import Any

from .config import Config
from .drivers.base import BaseDatabaseDriver

__all__ = ["UnsupportedDatabase", "backend_name", "make_driver"]

_SCHEMES = {
    "postgresql://": "postgresql",
    "postgres://": "postgresql",
    "mysql://": "mysql",
    "mariadb://": "mysql",
}


class UnsupportedDatabase(ValueError):
    """
    The C{--database} value names a backend this installation cannot serve.
    """


def backend_name(database: str) -> str:
    """
    C{"sqlite"}, C{"postgresql"} or C{"mysql"} for a C{--database} value.
    """
    for prefix, name in _SCHEMES.items():
        if database.startswith(prefix):
            return name
    if "://" in database and not database.startswith("sqlite:"):
        raise UnsupportedDatabase(
            f"unknown database URI scheme in {database.split('://')[0]!r}: "
            "use a SQLite path, sqlite:PATH, postgresql://... or mysql://..."
        )
    return "sqlite"


def make_driver(config: Config, reactor: Any) -> BaseDatabaseDriver:
    """
    The driver for C{config.database}.
    """
    name = backend_name(config.database)
    if name == "sqlite":
        from .drivers.sqlite import SQLiteDriver

        return SQLiteDriver(config, reactor)
    if name == "postgresql":
        try:
            from .drivers.postgresql import PostgreSQLDriver
        except ImportError as e:
            raise UnsupportedDatabase(
                f"the postgresql backend needs psycopg 3 ({e}): "
                "pip install 'dbdriver[postgresql]'"
            ) from None
        return PostgreSQLDriver(config, reactor)
    if name == "mysql":
        try:
            from .drivers.mysql import MySQLDriver
        except ImportError as e:
            raise UnsupportedDatabase(
                f"the mysql backend needs PyMySQL ({e}): pip install 'dbdriver[mysql]'"
            ) from None
        return MySQLDriver(config, reactor)
    raise UnsupportedDatabase(
        f"the {name} backend is not available in this version of dbdriver "
        "(SQLite only); see the README"
    )
