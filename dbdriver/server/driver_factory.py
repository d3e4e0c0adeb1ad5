"""
Which driver a C{--database} value asks for (PROTOCOL.md section 8).
"""

from __future__ import annotations

import importlib

from dbdriver.drivers.base import BaseDatabaseDriver
from dbdriver.drivers.interfaces import DriverReactor
from dbdriver.drivers.sql.uri import UnknownScheme, backend_of
from dbdriver.server.config import Config

__all__ = ["UnsupportedDatabase", "backend_name", "make_driver"]

#: Backend name: (module, driver class, what it needs installed).
_DRIVERS = {
    "sqlite": ("dbdriver.drivers.sqlite.driver", "SQLiteDriver", "the sqlite3 module"),
    "postgresql": (
        "dbdriver.drivers.postgresql.driver",
        "PostgreSQLDriver",
        "psycopg 3",
    ),
    "mysql": ("dbdriver.drivers.mysql.driver", "MySQLDriver", "PyMySQL"),
}


class UnsupportedDatabase(ValueError):
    """
    The C{--database} value names a backend this installation cannot serve.
    """


def backend_name(database: str) -> str:
    """
    C{"sqlite"}, C{"postgresql"} or C{"mysql"} for a C{--database} value.
    """
    try:
        return backend_of(database)
    except UnknownScheme as e:
        raise UnsupportedDatabase(str(e)) from None


def make_driver(config: Config, reactor: DriverReactor) -> BaseDatabaseDriver:
    """
    The driver for C{config.database}.
    """
    name = backend_name(config.database)
    module_name, class_name, needs = _DRIVERS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise UnsupportedDatabase(
            f"the {name} backend needs {needs} ({e}): pip install 'dbdriver[{name}]'"
        ) from None
    driver: BaseDatabaseDriver = getattr(module, class_name)(config, reactor)
    return driver
