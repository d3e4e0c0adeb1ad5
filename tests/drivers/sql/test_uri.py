"""
L{dbdriver.drivers.sql.uri}: C{--database} values read, and their passwords
masked.
"""

from __future__ import annotations

import pytest

from dbdriver.drivers.sql.uri import (
    DatabaseURI,
    UnknownScheme,
    backend_of,
    hide_password,
    mask_password,
    parse_database,
)


def test_backends() -> None:
    assert backend_of("postgres://h/d") == "postgresql"
    assert backend_of("mariadb://h/d") == "mysql"
    assert backend_of("sqlite://x") == "sqlite"
    assert backend_of("x.db") == "sqlite"
    with pytest.raises(UnknownScheme, match="'oracle'"):
        backend_of("oracle://h/d")


def test_sqlite_files() -> None:
    assert parse_database("/d/x.db") == DatabaseURI("sqlite", database="/d/x.db")
    assert parse_database("sqlite:x.db") == DatabaseURI(
        "sqlite", "sqlite", database="x.db"
    )
    assert parse_database("sqlite:///abs/x.db").database == "/abs/x.db"
    assert parse_database(":memory:").database == ":memory:"


def test_server_uris() -> None:
    uri = parse_database("mysql://u%21:p%40ss@DB.example:3307/app?a=1&b=&a=2")
    assert uri == DatabaseURI(
        "mysql",
        "mysql",
        user="u!",
        password="p@ss",
        host="db.example",
        port=3307,
        database="app",
        query=(("a", "1"), ("b", ""), ("a", "2")),
    )
    bare = parse_database("postgresql:///app")
    assert (bare.user, bare.password, bare.host, bare.port) == (None, None, None, None)
    with pytest.raises(ValueError, match="port"):
        parse_database("postgresql://h:x/app")


def test_hide_password() -> None:
    uri = "postgresql://u:p%40ss@h/d?password=other"
    message = "bad: postgresql://u:p%40ss@h/d (p@ss) other"
    assert hide_password(message, uri) == "bad: postgresql://u:***@h/d (***) ***"
    assert hide_password("x", "postgresql://[bad/d") == "x"
    assert mask_password("postgresql://u@h/d") == "postgresql://u@h/d"
