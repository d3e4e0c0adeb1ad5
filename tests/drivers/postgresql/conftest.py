"""
The fixture of the PostgreSQL backend's own tests: a schema of their own
on the test server (skipped, or failed when asked for, without one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.backends import PostgreSQLDatabase, require


@pytest.fixture
def database() -> Iterator[PostgreSQLDatabase]:
    require("postgresql")
    db = PostgreSQLDatabase()
    try:
        yield db
    finally:
        db.drop()
