"""
The fuzzer's corpus (C{stress/corpus/}), replayed through the real driver
process: each saved input gets exactly one protocol answer and the
connection still answers a ping.  Inputs named C{open-*} failed when they
were found and wait for their fix (expected to fail until then; rename the
file without C{open-} once it passes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stress._process import Driver
from stress._wire import Peer
from stress.fuzz import CORPUS, PING_LIMIT, SETUP, check_window, exchange

INPUTS = sorted(CORPUS.glob("*.cbor"))


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    directory = tmp_path_factory.mktemp("corpus")
    running = Driver(directory, str(directory / "db.sqlite3")).start()
    with Peer(running.socket) as peer:
        peer.call("create_table", params={"schema": SETUP})
    yield running
    running.stop()


def replay(driver: Driver, data: bytes) -> list[str]:
    """What goes wrong when C{data} is sent as one frame."""
    with Peer(driver.socket) as peer:
        answers, why = exchange(peer, [data], 5)
        found = ([why] if why else []) + check_window(answers, [data])
        if not found:
            pong = peer.call("ping", timeout=PING_LIMIT)
            if pong.get("result") != "pong":
                found.append(f"ping answered {pong!r:.100}")
    return found


def test_the_corpus_is_there() -> None:
    assert INPUTS, CORPUS


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            p, marks=pytest.mark.xfail(reason="open: awaiting its fix", strict=True)
        )
        if p.name.startswith("open-")
        else p
        for p in INPUTS
    ],
    ids=[p.stem for p in INPUTS],
)
def test_corpus_input(driver: Driver, path: Path) -> None:
    assert replay(driver, path.read_bytes()) == []
    assert driver.alive()


def test_a_good_request_passes_the_replay(driver: Driver) -> None:
    import cbor2

    assert replay(driver, cbor2.dumps({"id": 1, "method": "ping"})) == []
