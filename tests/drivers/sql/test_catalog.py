"""
L{dbdriver.drivers.sql.catalog}: L{TableInfo}'s types and single integer
key, what a L{RowWrite} reads back and answers, and the table cache of
every backend: a column added behind the driver's back is found by
refreshing the entry, a column that does not exist answers
C{no_such_column}, a dropped table C{no_such_table}.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted

from dbdriver.drivers.sql.catalog import RowWrite, TableInfo
from dbdriver.drivers.sql.records import CatalogColumn
from dbdriver.exceptions import NoSuchColumn, NoSuchTable
from tests.support.backends import selected
from tests.support.direct import connected

T = {
    "name": "t",
    "columns": [
        {"name": "id", "type": "integer", "primary_key": True},
        {"name": "k", "type": "text"},
    ],
}


def column(name: str, type_: str, key: bool = False) -> CatalogColumn:
    return CatalogColumn(name, type_, primary_key=key)


def test_table_info_types_and_integer_key() -> None:
    info = TableInfo("t", (column("id", "bigint", True), column("k", "text")))
    assert info.types == {"id": "bigint", "k": "text"}
    assert info.integer_key == "id"
    assert TableInfo("t", (column("k", "text", True),)).integer_key is None
    both = (column("a", "integer", True), column("b", "integer", True))
    assert TableInfo("t", both).integer_key is None
    assert TableInfo("t", (column("k", "text"),)).integer_key is None


def test_a_row_write_wants_returning_else_the_integer_key() -> None:
    info = TableInfo("t", (column("id", "integer", True), column("k", "text")))
    write = RowWrite(info, info.types, {"k": "a"})
    assert (write.table, write.columns, write.wanted) == ("t", ["k"], ["id"])
    assert write.answer([(7,)]) == 7 and write.answer([]) is None
    wants = RowWrite(info, info.types, {"k": "a"}, "ignore", ["id", "k"])
    assert wants.wanted == ["id", "k"]
    assert wants.answer([(7, "a")]) == {"id": 7, "k": "a"}
    other = wants.with_row({"k": "b"})
    assert (other.row, other.on_conflict, other.returning) == (
        {"k": "b"},
        "ignore",
        ["id", "k"],
    )
    keyless = TableInfo("t", (column("k", "text", True),))
    assert RowWrite(keyless, keyless.types, {"k": "a"}).wanted is None


@pytest.mark.parametrize("backend", selected()[0])
@pytest_twisted.ensureDeferred
async def test_a_column_added_behind_its_back_is_found(
    backend: str, tmp_path: Path
) -> None:
    async with connected(backend, tmp_path) as (driver, db):
        await driver.create_table(T)
        await driver.insert("t", {"id": 1, "k": "a"})  # the entry is cached
        db.sql("ALTER TABLE t ADD COLUMN extra INTEGER")
        await driver.insert("t", {"id": 2, "k": "b", "extra": 5})
        rows = await driver.select("t", {"extra": 5}, columns=["id"])
        assert rows == [{"id": 2}]
        with pytest.raises(NoSuchColumn) as caught:
            await driver.insert("t", {"id": 3, "nope": 1})
        assert caught.value.code == "no_such_column"
        with pytest.raises(NoSuchColumn):
            await driver.select("t", {"nope": "nope"})


@pytest.mark.parametrize("backend", selected()[0])
@pytest_twisted.ensureDeferred
async def test_a_dropped_table_is_forgotten(backend: str, tmp_path: Path) -> None:
    async with connected(backend, tmp_path) as (driver, _):
        await driver.create_table(T)
        await driver.insert("t", {"id": 1, "k": "a"})
        await driver.drop_table("t")
        with pytest.raises(NoSuchTable):
            await driver.insert("t", {"id": 1, "k": "a"})
