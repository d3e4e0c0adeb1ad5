"""
Pytest asked for these tests by name: skip them (trial runs them, see
tests/__main__.py; under pytest-twisted the reactor already runs and trial's
TestCase cannot spin it).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="run by python -m twisted.trial tests.trial")
    for item in items:
        if "tests/trial/" in item.nodeid:
            item.add_marker(skip)
