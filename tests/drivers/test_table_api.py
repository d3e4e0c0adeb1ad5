"""
The driver used directly, without the server (the seed's table-level
interface): the same validation and results as over the wire.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.exceptions import InvalidParams, NoSuchTable, ShuttingDown
from dbdriver.server.config import Config
from dbdriver.server.driver_factory import (
    UnsupportedDatabase,
    backend_name,
    make_driver,
)

SCHEMA = {
    "name": "projects",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True, "autoincrement": True},
        {"name": "name", "type": "text", "not_null": True, "unique": True},
    ],
}


@pytest_twisted.ensureDeferred
async def test_table_level_interface(tmp_path):
    driver = make_driver(Config(database=f"sqlite:{tmp_path}/d.sqlite3"), reactor)
    driver.check()
    await driver.connect()
    try:
        assert await driver.create_table(SCHEMA) is True
        assert await driver.create_table(SCHEMA, if_not_exists=True) is False
        first = await driver.insert("projects", {"name": "vast_srv"})
        await driver.insert("projects", {"name": "bhlff"})
        assert await driver.update("projects", {"id": first}, {"name": "vast"}) == 1
        assert await driver.select("projects", columns=["name"], order_by=["id"]) == [
            {"name": "vast"},
            {"name": "bhlff"},
        ]
        assert await driver.select("projects", limit=1, offset=1) == [
            {"id": first + 1, "name": "bhlff"}
        ]
        result = await driver.execute(
            "SELECT count(*) FROM projects WHERE id > ?", (0,)
        )
        assert result["rows"] == [[2]]
        info = await driver.get_table_info("projects")
        assert [c["name"] for c in info] == ["id", "name"]
        assert await driver.delete("projects", None, all_rows=True) == 2
        with pytest.raises(InvalidParams):
            driver.delete("projects", None)
        assert await driver.drop_table("projects") is True
        with pytest.raises(NoSuchTable):
            await driver.drop_table("projects")
        assert await driver.drop_table("projects", if_exists=True) is False
    finally:
        await driver.disconnect()
    with pytest.raises(ShuttingDown):
        await driver.select("projects")


def test_backend_names():
    assert backend_name("x.sqlite3") == "sqlite"
    assert backend_name("sqlite:/tmp/x") == "sqlite"
    assert backend_name(":memory:") == "sqlite"
    assert backend_name("postgresql://u@h/db") == "postgresql"
    assert backend_name("mysql://root@localhost/test") == "mysql"
    with pytest.raises(UnsupportedDatabase):
        backend_name("oracle://x")
    with pytest.raises(UnsupportedDatabase):
        make_driver(Config(database="oracle://localhost/test"), reactor)


def test_missing_backend_module_is_a_clear_error(monkeypatch):
    from dbdriver.server import driver_factory as driver_factory

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(driver_factory.importlib, "import_module", missing)
    with pytest.raises(UnsupportedDatabase) as raised:
        make_driver(Config(database="postgresql:///test"), reactor)
    assert "psycopg 3" in str(raised.value)
    assert "pip install 'dbdriver[postgresql]'" in str(raised.value)
