"""
Result references in a C{transaction} batch (C{"bind"}, an additive
extension): a parent row and its children in one round trip, on every
backend, and every misuse answered C{invalid_params} with nothing written.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted

from dbdriver.client import DriverClient
from dbdriver.testing import RunningDriver
from tests.support.data import FILES, PROJECTS, error_of


def _op(method: str, bind: dict[str, int] | None = None, **params: Any) -> Any:
    op: dict[str, Any] = {"method": method, "params": params}
    if bind is not None:
        op["bind"] = bind
    return op


async def _tables(running: RunningDriver) -> DriverClient:
    client = await running.client()
    await client.create_table(PROJECTS)
    await client.create_table(FILES)
    return client


@pytest_twisted.ensureDeferred
async def test_children_get_the_parent_id(running: RunningDriver) -> None:
    client = await _tables(running)
    await client.insert("projects", {"name": "before"})  # ids are not 1 by chance
    rows = [{"path": "a.py", "size": 1}, {"path": "b.py", "size": 2}]
    results = await client.batch(
        [
            _op("insert", table="projects", data={"name": "p"}),
            _op("insert_many", {"project_id": 0}, table="files", rows=rows),
            _op("insert", {"project_id": 0}, table="files", data={"path": "c.py"}),
            _op("select", table="files", columns=["project_id"]),
        ]
    )
    project, written, single, selected = results
    assert (await client.select("projects", {"name": "p"}))[0]["id"] == project
    assert written == 2 and isinstance(single, int)
    assert [r["project_id"] for r in selected] == [project] * 3
    files = await client.select("files", order_by=["path"], columns=["path"])
    assert [f["path"] for f in files] == ["a.py", "b.py", "c.py"]


@pytest_twisted.ensureDeferred
async def test_a_chain_of_binds(running: RunningDriver) -> None:
    """A bound insert's own id can be bound again, several columns at once."""
    client = await _tables(running)
    await client.create_table(
        {
            "name": "edges",
            "columns": [
                {"name": "id", "type": "integer", "primary_key": True},
                {"name": "project_id", "type": "integer"},
                {"name": "file_id", "type": "integer"},
            ],
        }
    )
    project, file_id, edge = await client.batch(
        [
            _op("insert", table="projects", data={"name": "p"}),
            _op("insert", {"project_id": 0}, table="files", data={"path": "x"}),
            _op(
                "insert",
                {"project_id": 0, "file_id": 1},
                table="edges",
                data={"id": 7},
            ),
        ]
    )
    assert edge == 7
    rows = await client.select("edges")
    assert rows == [{"id": 7, "project_id": project, "file_id": file_id}]


@pytest.mark.parametrize(
    "bind, method, fragment",
    [
        ({"project_id": 1}, "insert", "earlier operation"),  # itself
        ({"project_id": 5}, "insert", "earlier operation"),  # later
        ({"project_id": -1}, "insert", "earlier operation"),
        ({"project_id": True}, "insert", "earlier operation"),
        ({"path": 0}, "insert", "also given"),
        ({}, "insert", "non-empty"),
        ([0], "insert", "non-empty"),
        ({"bad name": 0}, "insert", "bind column"),
        ({"project_id": 0}, "count", "insert and insert_many"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_a_bad_bind_is_refused_before_anything_runs(
    running: RunningDriver, bind: Any, method: str, fragment: str
) -> None:
    client = await _tables(running)
    second = (
        _op("insert", bind, table="files", data={"path": "x"})
        if method == "insert"
        else _op("count", bind, table="files")
    )
    call = client.batch([_op("insert", table="projects", data={"name": "p"}), second])
    error = await error_of(call)
    assert error.code == "invalid_params"
    assert fragment in error.message
    assert error.details["index"] == 1
    assert await client.count("projects") == 0


@pytest.mark.parametrize(
    "source, fragment",
    [
        (
            _op("insert", table="projects", data={"name": "p"}, returning=["id"]),
            "operation 1 is no insert that returns an id",
        ),
        (_op("count", table="projects"), "operation 1 is no insert that returns an id"),
        (
            _op("insert", table="projects", data={"name": "old"}, on_conflict="ignore"),
            "operation 1 returned NoneType, not an integer id",
        ),
    ],
    ids=["returning-map", "count-is-no-insert", "ignored-insert-is-null"],
)
@pytest_twisted.ensureDeferred
async def test_a_source_that_gives_no_id_is_refused_and_nothing_stays(
    running: RunningDriver, source: Any, fragment: str
) -> None:
    client = await _tables(running)
    await client.insert("projects", {"name": "old"})
    bound = _op("insert", {"project_id": 1}, table="files", data={"path": "x"})
    call = client.batch(
        [_op("insert", table="projects", data={"name": "first"}), source, bound]
    )
    error = await error_of(call)
    assert error.code == "invalid_params"
    assert fragment in error.message
    assert error.details == {"index": 2, "bind": "project_id"}
    names = await client.select("projects", columns=["name"])
    assert names == [{"name": "old"}]  # the first insert was rolled back too
    assert await client.count("files") == 0
