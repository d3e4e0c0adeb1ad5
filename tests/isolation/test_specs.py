"""
Every isolation spec, every permutation it runs, on every selected backend
(C{DBDRIVER_TEST_BACKENDS}), against the real driver process: each outcome
line must be the one the spec states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.isolation.runner import Connection, Spec, run_permutation
from tests.isolation.specs import SPECS
from tests.support.backends import selected


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "permutation" not in metafunc.fixturenames:
        return
    backends, _ = selected()
    cases = [
        pytest.param(
            spec, permutation, backend, id=f"{spec.name}:{permutation}:{backend}"
        )
        for spec in SPECS
        for permutation in spec.all_permutations()
        for backend in backends
    ]
    metafunc.parametrize(("spec", "permutation", "backend"), cases)


def test_permutation(
    spec: Spec,
    permutation: str,
    backend: str,
    isolation_driver: Callable[[str, tuple[str, ...]], tuple[Any, Connection]],
) -> None:
    """
    The permutation's outcome on C{backend} is the spec's.
    """
    process, setup = isolation_driver(backend, spec.options)
    outcome = run_permutation(spec, permutation, process.socket, setup)
    expected = spec.expected_for(permutation, backend)
    assert outcome == expected, (
        f"{spec.name} on {backend}: {permutation}\n"
        f"  seen:     {outcome}\n  expected: {expected}"
    )


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_expected_complete(spec: Spec) -> None:
    """
    A spec states the outcome of exactly the permutations it runs, with
    each step once, in its session's order; at most 20 of them.
    """
    permutations = spec.all_permutations()
    assert sorted(spec.expected) == sorted(permutations)
    assert len(permutations) <= 20
    steps = spec.steps()
    for permutation in permutations:
        names = permutation.split()
        assert sorted(names) == sorted(steps)
        for session, session_steps in spec.sessions.items():
            mine = [n for n in names if steps[n][0] == session]
            assert mine == [n for n, _ in session_steps]
