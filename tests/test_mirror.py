"""
Tests mirror the packages: every module of C{dbdriver/} has a test file
that names it (C{dbdriver/X/Y/z.py} -> C{tests/X/Y/test_z.py} or
C{tests/X/Y/test_z_<topic>.py}), C{dbdriver/drivers/schema/} being mirrored
by C{tests/schema/}, and a few names kept from the seed (L{ALIASES}).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dbdriver"
TESTS = ROOT / "tests"
SKIPPED = {"__init__.py", "_version.py"}
#: Modules whose test files keep the seed's names.
ALIASES: dict[str, tuple[str, ...]] = {
    "__main__.py": ("process/test_main.py",),
    "server/cli.py": ("process/test_main.py",),
    "server/rpc_server.py": ("server/test_driver_rpc_server.py",),
    "server/runner.py": (
        "server/test_runner.py",
        "process/test_database_driver_process.py",
    ),
}
#: Packages mirrored under another folder of tests/.
FOLDERS = {"drivers/schema": "schema"}


def modules() -> list[str]:
    """Every module of the package that needs a test file, relative paths."""
    return sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in SKIPPED
    )


def mirror_files(module: str) -> list[Path]:
    """The test files that name C{module}."""
    if module in ALIASES:
        return [TESTS / name for name in ALIASES[module] if (TESTS / name).is_file()]
    folder, _, name = module.rpartition("/")
    folder = FOLDERS.get(folder, folder)
    stem = name.removesuffix(".py")
    directory = TESTS / folder if folder else TESTS
    exact = directory / f"test_{stem}.py"
    found = [exact] if exact.is_file() else []
    return found + sorted(directory.glob(f"test_{stem}_*.py"))


def missing() -> list[str]:
    """The modules without a test file of their own."""
    return [m for m in modules() if not mirror_files(m)]


def test_the_walk_sees_the_package() -> None:
    found = modules()
    assert "drivers/base.py" in found
    assert "wire/framing.py" in found
    assert not [m for m in found if m.endswith(("__init__.py", "_version.py"))]


def test_the_names_map_as_the_rule_says() -> None:
    assert TESTS / "wire/test_framing.py" in mirror_files("wire/framing.py")
    assert TESTS / "schema/test_sync.py" in mirror_files("drivers/schema/sync.py")
    assert TESTS / "server/test_runner.py" in mirror_files("server/runner.py")
    assert not mirror_files("no/such_module.py")


def test_every_module_has_its_test_file() -> None:
    absent = missing()
    assert not absent, "modules without a test file: " + ", ".join(
        f"dbdriver/{m}" for m in absent
    )
