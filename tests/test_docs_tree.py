"""
docs/architecture.md opens with the tree of C{dbdriver/}, one line per
package: it must name exactly the modules each package has.
"""

from __future__ import annotations

import re
from pathlib import Path

import dbdriver

_DOC = Path(__file__).parent.parent / "docs" / "architecture.md"
_LINE = re.compile(r"^  (\S+)\s+(.*)$")


def _documented() -> dict[str, set[str]]:
    text = _DOC.read_text(encoding="utf-8")
    block = text.split("```", 2)[1]
    tree: dict[str, set[str]] = {}
    for line in block.splitlines():
        found = _LINE.match(line)
        if found:
            package = found.group(1).rstrip("/")
            tree["" if package == "." else package] = set(found.group(2).split())
    return tree


def _actual() -> dict[str, set[str]]:
    root = Path(dbdriver.__file__).parent
    tree: dict[str, set[str]] = {}
    for init in root.rglob("__init__.py"):
        package = init.parent.relative_to(root).as_posix()
        modules = {p.stem for p in init.parent.glob("*.py") if p.stem != "__init__"}
        tree["" if package == "." else package] = modules
    return tree


def test_the_tree_names_every_module() -> None:
    assert _documented() == _actual()
