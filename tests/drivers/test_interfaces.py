"""
L{dbdriver.drivers.interfaces}: each backend class provides
L{DatabaseBackend} structurally (every member, each method with the
declared parameters), the server's C{Config} provides L{DriverSettings},
and the module imports nothing else of C{dbdriver}.
"""

from __future__ import annotations

import ast
import inspect

import attrs
import pytest
from twisted.internet import reactor

from dbdriver.drivers import interfaces
from dbdriver.drivers.interfaces import DatabaseBackend, DriverReactor, DriverSettings
from dbdriver.drivers.mysql.driver import MySQLBackend
from dbdriver.drivers.postgresql.driver import PostgreSQLBackend
from dbdriver.drivers.sqlite.driver import SQLiteBackend
from dbdriver.server.config import Config
from tests.support.structural import members, mismatches

BACKENDS = [
    (SQLiteBackend, ":memory:"),
    (PostgreSQLBackend, "postgresql://u@db/app"),
    (MySQLBackend, "mysql://u@db/app"),
]


@pytest.mark.parametrize(("backend", "database"), BACKENDS)
def test_each_backend_provides_database_backend(backend, database) -> None:
    instance = backend(Config(database=database), reactor)
    assert mismatches(DatabaseBackend, instance) == []


def test_the_contract_names_the_hooks() -> None:
    declared = set(members(DatabaseBackend))
    assert {"make_pools", "prepare", "interrupt", "recover", "reusable"} <= declared
    assert {"pool_size", "write_concurrency"} <= declared
    params = inspect.signature(DatabaseBackend.interrupt).parameters
    assert list(params) == ["self", "connection"]


def test_a_class_lacking_a_hook_is_found_out() -> None:
    instance = SQLiteBackend(Config(database=":memory:"), reactor)

    class Partial:
        pool_size = 1
        write_concurrency = 1

        def check(self, extra: int) -> None:
            pass

    problems = mismatches(DatabaseBackend, Partial())
    assert any(p.startswith("check: parameters") for p in problems)
    assert "make_pools: missing" in problems
    assert not mismatches(DatabaseBackend, instance)


def test_config_provides_driver_settings() -> None:
    config = Config(database=":memory:")
    assert isinstance(config, DriverSettings)
    alone = DriverSettings(database=":memory:", max_message_size=1)
    shared = {f.name for f in attrs.fields(DriverSettings)} - {"max_message_size"}
    assert shared  # the driver's defaults are the server's
    for name in shared:
        assert getattr(alone, name) == getattr(config, name), name


def test_the_reactor_has_what_driver_reactor_declares() -> None:
    for name in members(DriverReactor):
        assert callable(getattr(reactor, name)), name
    assert {"seconds", "callLater", "callInThread"} <= set(members(DriverReactor))


def test_it_imports_nothing_of_the_package() -> None:
    tree = ast.parse(inspect.getsource(interfaces))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert imported and not [m for m in imported if m.startswith("dbdriver")]
