"""
Real data through the real process: a real Python source tree (the
installed Twisted package) indexed into the code-analysis schema by the
client, then queried, and checked against what C{ast} says and against
C{sqlite3} reading the same file.
"""

from __future__ import annotations

from pathlib import Path

import pytest_twisted
import twisted
from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred, gatherResults

from dbdriver import ConstraintViolation, connect
from tests.support.codeindex import SCHEMA, parse_tree

SOURCE = Path(twisted.__file__).parent / "internet"


async def index(client, project: str, files) -> int:
    project_id = await client.insert("projects", {"name": project, "root": str(SOURCE)})
    for parsed in files:
        async with client.transaction() as tx:
            file_id = await tx.insert("files", {"project_id": project_id, **parsed.row})
            for table, rows in (
                ("classes", parsed.classes),
                ("functions", parsed.functions),
                ("imports", parsed.imports),
            ):
                await tx.insert_many(table, [{"file_id": file_id, **r} for r in rows])
            await tx.batch([
                {"method": "insert", "params": {"table": "ast_trees", "data": {
                    "file_id": file_id, "dump": parsed.dump}}},
                {"method": "insert", "params": {"table": "cst_trees", "data": {
                    "file_id": file_id, "source": parsed.source}}},
            ])  # fmt: skip
    return project_id


async def index_batched(client, project: str, files, in_flight: int = 4) -> int:
    """
    The same rows, one C{transaction} request per file whose children
    C{bind} the file's id, C{in_flight} files at a time.
    """
    project_id = await client.insert("projects", {"name": project, "root": str(SOURCE)})
    queue = iter(files)

    async def lane():
        for parsed in queue:
            operations = parsed.operations(project_id)
            file_id, *_ = await client.batch(operations)
            assert isinstance(file_id, int)

    await gatherResults([ensureDeferred(lane()) for _ in range(in_flight)])
    return project_id


async def functions_per_path(client, project_id: int) -> dict[str, int]:
    result = await client.execute(
        "SELECT f.path, count(fn.id) FROM files f LEFT JOIN functions fn"
        " ON fn.file_id = f.id WHERE f.project_id = ? GROUP BY f.path",
        [project_id],
    )
    return dict(map(tuple, result["rows"]))


@pytest_twisted.ensureDeferred
async def test_index_and_query_a_real_source_tree(driver):
    files = parse_tree(SOURCE, limit=60)
    assert len(files) > 30
    client = await connect(reactor, driver.socket)
    for table in SCHEMA:
        await client.create_table(table)
    assert sorted(await client.list_tables()) == sorted(t["name"] for t in SCHEMA)
    project_id = await index(client, "twisted-internet", files)

    expected_functions = sum(len(f.functions) for f in files)
    assert await client.count("functions") == expected_functions
    assert await client.count("files", {"project_id": project_id}) == len(files)
    # lookups the code-analysis server makes
    target = next(f for f in files if f.classes)
    row = (await client.select("files", {"path": target.path}))[0]
    classes = await client.select(
        "classes",
        {"file_id": row["id"]},
        columns=["name", "line", "bases"],
        order_by=["line"],
    )
    assert classes == sorted(target.classes, key=lambda c: c["line"])
    asyncs = await client.count("functions", {"is_async": True})
    assert asyncs == sum(f["is_async"] for p in files for f in p.functions)
    source = await client.select(
        "cst_trees", {"file_id": row["id"]}, columns=["source"]
    )
    assert source == [{"source": target.source}]
    joined = await client.execute(
        "SELECT f.path, count(*) FROM functions fn JOIN files f ON f.id = fn.file_id "
        "GROUP BY f.path ORDER BY f.path"
    )
    assert joined["rows"] == [[f.path, len(f.functions)] for f in files if f.functions]
    # a second project indexed concurrently by another client, one round
    # trip per file (bound batches), does not disturb, and writes the same
    other = await connect(reactor, driver.socket)
    again, _ = await gatherResults([
        ensureDeferred(index_batched(other, "again", files[:10])),
        client.select("functions", {"name": {"like": "connect%"}}),
    ])  # fmt: skip
    assert await client.count("files") == len(files) + 10
    first = await functions_per_path(client, project_id)
    assert await functions_per_path(client, again) == {
        f.path: first[f.path] for f in files[:10]
    }
    try:
        await client.insert("files", {"project_id": project_id, **files[0].row})
    except ConstraintViolation:
        pass
    else:
        raise AssertionError("duplicate (project_id, path) was accepted")
    # deleting the project cascades to every table
    assert await client.delete("projects", {"name": "again"}) == 1
    await client.close()
    await other.close()
    with driver.sqlite() as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (len(files),)
        assert db.execute("SELECT count(*) FROM functions").fetchone() == (
            expected_functions,
        )
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
