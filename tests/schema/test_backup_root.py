"""
PROTOCOL.md section 9: C{sync_schema}'s C{backup_dir} resolves (symlinks
followed) inside C{--backup-root}, or the request is C{invalid_params} and
nothing is written; backups are owner-only (files 0600, directories 0700)
whatever the umask.  Each test drives a real C{twistd dbdriver} process.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver import InvalidParams, connect
from tests.support.backends import create, require
from tests.support.live import error_of
from tests.support.schema_versions import V1


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The driver processes of the test start under umask 000."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(top: Path) -> dict[str, int]:
    modes = {}
    for path in [top, *top.rglob("*")]:
        modes[str(path.relative_to(top))] = stat.S_IMODE(path.lstat().st_mode)
    return modes


def _owner_only(top: Path) -> None:
    modes = _modes(top)
    assert len(modes) > 1, modes
    for name, mode in modes.items():
        wanted = 0o700 if (top / name).is_dir() else 0o600
        assert mode == wanted, (name, oct(mode))


@pytest_twisted.ensureDeferred
async def test_backup_dir_outside_the_default_root_is_refused(
    start_driver, tmp_path: Path
) -> None:
    driver = start_driver("--no-raw-sql")
    outside = tmp_path / "elsewhere"
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "link").symlink_to(outside, target_is_directory=True)
    outside.mkdir()
    client = await connect(reactor, driver.socket)
    try:
        for backup_dir in (
            str(outside),
            str(tmp_path / "backups" / ".." / "elsewhere"),
            "../elsewhere",
            "link",
            str(tmp_path / "backups" / "link" / "deeper"),
            "/etc/dbdriver-backups",
        ):
            error = await error_of(client.sync_schema(V1, backup_dir=backup_dir))
            assert isinstance(error, InvalidParams), backup_dir
            assert error.details["backup_root"] == str(tmp_path / "backups")
            assert "outside the backup root" in error.message
        error = await error_of(client.sync_schema(V1, backup_dir="a\0b"))
        assert isinstance(error, InvalidParams) and "null" in error.message
        assert await client.list_tables() == []
    finally:
        await client.close()
    assert list(outside.iterdir()) == []
    assert not os.path.exists("/etc/dbdriver-backups")


@pytest_twisted.ensureDeferred
async def test_sqlite_backups_are_owner_only_under_umask_000(
    start_driver, tmp_path: Path, open_umask: None
) -> None:
    driver = start_driver()
    client = await connect(reactor, driver.socket)
    try:
        result = await client.sync_schema(V1, backup_dir="nightly/one")
    finally:
        await client.close()
    root = tmp_path / "backups"
    backup = Path(result["backup"])
    assert backup.parent == root / "nightly" / "one"
    assert backup.is_file()
    _owner_only(root)


@pytest_twisted.ensureDeferred
async def test_the_backup_root_option(start_driver, tmp_path: Path) -> None:
    root = tmp_path / "kept"
    driver = start_driver(f"--backup-root={root}")
    client = await connect(reactor, driver.socket)
    try:
        error = await error_of(
            client.sync_schema(V1, backup_dir=str(tmp_path / "backups"))
        )
        assert isinstance(error, InvalidParams)
        assert error.details["backup_root"] == str(root)
        result = await client.sync_schema(V1, backup_dir=str(root))
    finally:
        await client.close()
    assert Path(result["backup"]).parent == root
    assert not (tmp_path / "backups").exists()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
@pytest_twisted.ensureDeferred
async def test_server_exports_are_owner_only_under_umask_000(
    start_driver, tmp_path: Path, open_umask: None, backend: str
) -> None:
    require(backend)
    database = create(backend, tmp_path)
    try:
        # A server database's default root is ./backups (the driver's
        # directory here).
        driver = start_driver(database=database.uri)
        client = await connect(reactor, driver.socket)
        try:
            await client.sync_schema(V1)
            await client.insert("projects", {"name": "p", "root": "/"})
            error = await error_of(client.sync_schema(V1, backup_dir="/tmp"))
            assert isinstance(error, InvalidParams)
            grown = {
                "tables": [
                    {
                        **t,
                        "columns": [*t["columns"], {"name": "extra", "type": "text"}],
                    }
                    if t["name"] == "projects"
                    else t
                    for t in V1["tables"]
                ]
            }
            result = await client.sync_schema(grown, backup_dir="exports")
        finally:
            await client.close()
    finally:
        database.drop()
    root = tmp_path / "backups"
    assert Path(result["backup"]).parent == root / "exports"
    assert (Path(result["backup"]) / "projects.jsonl").read_text().count("\n") == 1
    _owner_only(root)
