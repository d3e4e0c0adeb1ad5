"""
The shape of the package, from its source: no import circle anywhere
(imports under C{TYPE_CHECKING} and inside functions count), and the layers
import only downwards.
"""

from __future__ import annotations

import pytest

from tests.support.imports import circles, graph, modules

#: Package -> the packages it must not import.
FORBIDDEN = {
    "dbdriver.wire": ("dbdriver.client", "dbdriver.server", "dbdriver.drivers"),
    "dbdriver.requests": ("dbdriver.client", "dbdriver.server", "dbdriver.drivers"),
    "dbdriver.client": ("dbdriver.server", "dbdriver.drivers"),
    "dbdriver.drivers": ("dbdriver.server", "dbdriver.client"),
    "dbdriver.supervisor": ("dbdriver.server", "dbdriver.drivers"),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "dbdriver.server.rpc_server" in edges
    assert "dbdriver.server.dispatch" in edges["dbdriver.server.rpc_server"]
    assert "dbdriver.wire.limits" in edges["dbdriver.wire.framing"]


def test_circles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    assert circles(graph()) == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_downwards(package: str) -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if _within(module, package)
        for target in sorted(targets)
        if any(_within(target, f) for f in FORBIDDEN[package])
    ]
    assert wrong == []


@pytest.mark.parametrize("interfaces", ["dbdriver.drivers", "dbdriver.server"])
def test_interfaces_import_nothing_of_their_package(interfaces: str) -> None:
    name = f"{interfaces}.interfaces"
    assert name in modules()
    assert [t for t in graph()[name] if _within(t, interfaces)] == []
