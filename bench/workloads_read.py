"""
W5 (one select returning every row of C{items} as maps) and W6 (index the
installed Twisted package into the code-analysis schema, then a fixed mix
of lookups), each against in-process C{sqlite3}.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import twisted
from twisted.internet.defer import ensureDeferred, gatherResults

from tests.support.codeindex import SCHEMA, parse_tree

from ._context import Bench, Workload
from ._data import anchor_sqlite, as_dicts, copy_schema, item_rows
from ._measure import Latencies, blocking_loop, closed_loop, cpu_meter, side

TABLES = [table["name"] for table in SCHEMA]
#: W6: rounds on each side (the median round is reported).
W6_ROUNDS = 3
#: W6: files being indexed (then lookups) at once through the one client
#: connection; the in-process anchor does one at a time.
INDEX_IN_FLIGHT = 8
_JSON = {"bases", "args"}


async def w5(bench: Bench) -> Workload:
    """One C{select} of the whole C{items} table, one in flight."""
    s = bench.settings
    main = await bench.items()
    (client,) = await bench.connect(main)
    rows = await client.select("items")
    lanes = [lambda seq: client.select("items")]
    await closed_loop(lanes, s.warmup)
    with cpu_meter({"driver": main.pid}) as cpu:
        measured = await closed_loop(lanes, s.seconds)
    await bench.close([client])
    driver = side("dbdriver select", measured, cpu=cpu, rows=len(rows))
    if len(rows) != s.rows:
        driver.errors += 1
        driver.first_error = f"select returned {len(rows)} rows, expected {s.rows}"
    db = anchor_sqlite(bench.tmp / "w5-anchor.sqlite3")
    copy_schema(main.database, db, ["items"])
    db.executemany(
        'INSERT INTO "items" VALUES (:id, :name, :value, :payload)', item_rows(s.rows)
    )

    def fetch(seq: int) -> None:
        as_dicts(db.execute('SELECT * FROM "items"'))

    blocking_loop(fetch, s.warmup)
    with cpu_meter({}) as cpu:
        measured = blocking_loop(fetch, s.seconds)
    db.close()
    anchor = side("sqlite3 fetch into dicts", measured, cpu=cpu)
    title = f"select {s.rows:,} rows as maps"
    return Workload.make("W5", "selects/s", driver, anchor, title=title)


def _lookups(files: list[Any], count: int) -> list[tuple[str, Any]]:
    """A fixed, deterministic mix of the lookups a code-analysis server makes."""
    with_classes = [f for f in files if f.classes] or files
    functions = [fn["name"] for f in files for fn in f.functions] or ["x"]
    classes = [c["name"] for f in with_classes for c in f.classes] or ["x"]
    modules = [i["module"] for f in files for i in f.imports] or ["x"]
    kinds = [
        lambda i: ("file_by_path", files[(i * 7) % len(files)].path),
        lambda i: ("classes_of_file", with_classes[(i * 5) % len(with_classes)].path),
        lambda i: ("functions_named", functions[(i * 31) % len(functions)]),
        lambda i: ("classes_named", classes[(i * 13) % len(classes)]),
        lambda i: ("source_of", files[(i * 11) % len(files)].path),
        lambda i: ("imports_of", modules[(i * 17) % len(modules)]),
        lambda i: ("functions_like", functions[(i * 3) % len(functions)][:4]),
        lambda i: ("count_async", None),
    ]
    return [kinds[i % len(kinds)](i) for i in range(count)]


def _driver_lookup(client: Any, ids: dict[str, int], kind: str, arg: Any) -> Any:
    if kind == "file_by_path":
        return client.select("files", {"path": arg})
    if kind == "classes_of_file":
        where = {"file_id": ids[arg]}
        return client.select(
            "classes", where, columns=["name", "line", "bases"], order_by=["line"]
        )
    if kind == "functions_named":
        return client.select("functions", {"name": arg})
    if kind == "classes_named":
        return client.select("classes", {"name": arg})
    if kind == "source_of":
        return client.select("cst_trees", {"file_id": ids[arg]}, columns=["source"])
    if kind == "imports_of":
        return client.select("imports", {"module": arg})
    if kind == "functions_like":
        columns = ["file_id", "name", "line"]
        return client.select(
            "functions", {"name": {"like": arg + "%"}}, columns=columns
        )
    return client.count("functions", {"is_async": True})


async def _driver_lookups(
    client: Any, ids: dict[str, int], lookups: list[tuple[str, Any]], into: Latencies
) -> None:
    """The lookup mix, C{INDEX_IN_FLIGHT} at a time, as a busy server sends it."""
    queue = iter(lookups)
    clock = time.perf_counter

    async def lane() -> None:
        for kind, arg in queue:
            sent = clock()
            await _driver_lookup(client, ids, kind, arg)
            into.samples.append(clock() - sent)

    await gatherResults([ensureDeferred(lane()) for _ in range(INDEX_IN_FLIGHT)])


_ANCHOR_SQL = {
    "file_by_path": 'SELECT * FROM "files" WHERE "path" = ?',
    "classes_of_file": 'SELECT "name", "line", "bases" FROM "classes"'
    ' WHERE "file_id" = ? ORDER BY "line"',
    "functions_named": 'SELECT * FROM "functions" WHERE "name" = ?',
    "classes_named": 'SELECT * FROM "classes" WHERE "name" = ?',
    "source_of": 'SELECT "source" FROM "cst_trees" WHERE "file_id" = ?',
    "imports_of": 'SELECT * FROM "imports" WHERE "module" = ?',
    "functions_like": 'SELECT "file_id", "name", "line" FROM "functions"'
    ' WHERE "name" LIKE ?',
}


def _anchor_lookup(db: Any, ids: dict[str, int], kind: str, arg: Any) -> Any:
    if kind == "count_async":
        query = 'SELECT count(*) FROM "functions" WHERE "is_async" = 1'
        return db.execute(query).fetchone()[0]
    if kind in ("classes_of_file", "source_of"):
        arg = ids[arg]
    elif kind == "functions_like":
        arg += "%"
    return as_dicts(db.execute(_ANCHOR_SQL[kind], (arg,)))


async def _driver_index(
    client: Any, root: Path, files: list[Any], in_flight: int
) -> dict[str, Any]:
    """
    Index through the client: one round trip and one transaction per file,
    C{in_flight} files at a time (a file's children reference its id).
    """
    recorded = Latencies()
    ids: dict[str, int] = {}
    clock = time.perf_counter
    project = await client.insert("projects", {"name": "twisted", "root": str(root)})
    queue = iter(files)

    async def lane() -> None:
        for parsed in queue:
            sent = clock()
            results = await client.batch(parsed.operations(project))
            ids[parsed.path] = results[0]
            recorded.samples.append(clock() - sent)

    await gatherResults([ensureDeferred(lane()) for _ in range(in_flight)])
    return {"ids": ids, "latencies": recorded}


def _anchor_index(db: Any, root: Path, files: list[Any]) -> dict[str, Any]:
    """The same rows with direct C{sqlite3} writes, one transaction per file."""
    recorded = Latencies()
    ids: dict[str, int] = {}
    clock = time.perf_counter
    project = db.execute(
        'INSERT INTO "projects" ("name", "root") VALUES (?, ?)', ("twisted", str(root))
    ).lastrowid
    for parsed in files:
        sent = clock()
        db.execute("BEGIN IMMEDIATE")
        row = parsed.row
        file_id = db.execute(
            'INSERT INTO "files" ("project_id", "path", "size", "sha1", "lines")'
            " VALUES (?, ?, ?, ?, ?)",
            (project, row["path"], row["size"], row["sha1"], row["lines"]),
        ).lastrowid
        for table, rows in (
            ("classes", parsed.classes),
            ("functions", parsed.functions),
            ("imports", parsed.imports),
        ):
            if not rows:
                continue
            names = ["file_id", *rows[0]]
            sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                table, ", ".join(f'"{n}"' for n in names), ", ".join("?" * len(names))
            )
            db.executemany(
                sql,
                [
                    (
                        file_id,
                        *(json.dumps(v) if k in _JSON else v for k, v in r.items()),
                    )
                    for r in rows
                ],
            )
        db.execute(
            'INSERT INTO "ast_trees" ("file_id", "dump") VALUES (?, ?)',
            (file_id, parsed.dump),
        )
        db.execute(
            'INSERT INTO "cst_trees" ("file_id", "source") VALUES (?, ?)',
            (file_id, parsed.source),
        )
        db.execute("COMMIT")
        ids[parsed.path] = file_id
        recorded.samples.append(clock() - sent)
    return {"ids": ids, "latencies": recorded}


_Round = tuple[float, float, Latencies, dict[str, float]]


def _median(rounds: list[_Round]) -> _Round:
    """The round whose whole run took the median time."""
    return sorted(rounds, key=lambda r: r[1])[len(rounds) // 2]


async def _driver_round(
    client: Any, root: Path, files: list[Any], lookups: list[Any], pid: int
) -> _Round:
    """Index and look up once on fresh tables; (index s, total s, latencies, cpu)."""
    for table in reversed(SCHEMA):  # the tables of the round before, if any
        await client.drop_table(table["name"], if_exists=True)
    for table in SCHEMA:
        await client.create_table(table)
    clock = time.perf_counter
    with cpu_meter({"driver": pid}) as cpu:
        started = clock()
        indexed = await _driver_index(client, root, files, INDEX_IN_FLIGHT)
        index_seconds = clock() - started
        recorded: Latencies = indexed["latencies"]
        await _driver_lookups(client, indexed["ids"], lookups, recorded)
        elapsed = clock() - started
    functions = await client.count("functions")
    expected = sum(len(f.functions) for f in files)
    if functions != expected:
        recorded.error(
            RuntimeError(f"{functions} functions indexed, expected {expected}")
        )
    return index_seconds, elapsed, recorded, cpu


def _anchor_round(
    path: Path, source: Path, root: Path, files: list[Any], lookups: list[Any]
) -> _Round:
    """The same with direct C{sqlite3} on a fresh file."""
    db = anchor_sqlite(path)
    copy_schema(source, db, TABLES)
    clock = time.perf_counter
    with cpu_meter({}) as cpu:
        started = clock()
        indexed = _anchor_index(db, root, files)
        index_seconds = clock() - started
        recorded = indexed["latencies"]
        for kind, arg in lookups:
            sent = clock()
            _anchor_lookup(db, indexed["ids"], kind, arg)
            recorded.samples.append(clock() - sent)
        elapsed = clock() - started
    db.close()
    return index_seconds, elapsed, recorded, cpu


def _w6_side(name: str, rounds: list[_Round], **details: Any) -> Any:
    index_seconds, elapsed, recorded, cpu = _median(rounds)
    return side(
        name,
        (len(recorded.samples), elapsed, recorded),
        per_op=1.0 / len(recorded.samples),
        cpu=cpu,
        index_seconds=round(index_seconds, 3),
        lookup_seconds=round(elapsed - index_seconds, 3),
        rounds_seconds=[round(r[1], 3) for r in rounds],
        **details,
    )


async def w6(bench: Bench) -> Workload:
    """
    Index the installed Twisted package, then the lookup mix; both sides,
    L{W6_ROUNDS} rounds each, the median round reported.
    """
    s = bench.settings
    root = Path(twisted.__file__).parent
    files = parse_tree(root, limit=s.index_files)  # parsing is not timed
    lookups = _lookups(files, s.lookups)
    main = await bench.main_driver()
    (client,) = await bench.connect(main)
    rounds = 1 if s.quick else W6_ROUNDS
    driver_rounds = [
        await _driver_round(client, root, files, lookups, main.pid)
        for _ in range(rounds)
    ]
    await bench.close([client])  # its tables stay, for the anchor's copy of the DDL
    driver = _w6_side(
        "dbdriver client", driver_rounds, files=len(files), lookups=len(lookups)
    )
    anchor_rounds = [
        _anchor_round(
            bench.tmp / f"w6-anchor-{n}.sqlite3", main.database, root, files, lookups
        )
        for n in range(rounds)
    ]
    anchor = _w6_side("sqlite3 in-process", anchor_rounds)
    note = (
        f"{len(files)} files + {len(lookups)} lookups; latency per file / lookup;"
        f" median of {rounds} rounds each"
    )
    return Workload.make("W6", "runs/s", driver, anchor, notes=[note])
