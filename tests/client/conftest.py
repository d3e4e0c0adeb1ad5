"""
Fixtures of the client's unit tests.
"""

from __future__ import annotations

import pytest

from tests.support.client import FakeServer


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()
