"""
L{dbdriver.server.lifecycle} in-process: the READY line on a pipe, and
L{watch_parent} on a pipe's end, on a descriptor the reactor cannot poll,
and at the reactor's shutdown (not an end).  (tests/process/test_main.py
drives both through a real C{python -m dbdriver}.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest_twisted
from twisted.internet import main, reactor
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from dbdriver.server.lifecycle import ParentWatch, announce_ready, watch_parent


def test_announce_writes_one_line_and_closes() -> None:
    read, write = os.pipe()
    announce_ready(write, "/run/d.sock")
    with os.fdopen(read, "rb") as r:
        assert r.read() == b"READY /run/d.sock\n"
    try:
        os.fstat(write)
    except OSError:
        pass
    else:  # pragma: no cover - the fd must be closed
        raise AssertionError("the ready fd is still open")


def test_announce_to_a_reader_that_left() -> None:
    read, write = os.pipe()
    os.close(read)
    announce_ready(write, "x")  # EPIPE is not the driver's error


def test_announce_to_a_closed_fd() -> None:
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    announce_ready(write, "x")


@pytest_twisted.ensureDeferred
async def test_end_of_a_pipe() -> None:
    read, write = os.pipe()
    gone: Deferred[None] = Deferred()
    watch = watch_parent(reactor, lambda: gone.callback(None), fd=read)
    os.write(write, b"ignored")
    os.close(write)
    await gone
    assert watch.eof
    assert watch not in reactor.getReaders()
    os.close(read)


@pytest_twisted.ensureDeferred
async def test_a_file_the_reactor_cannot_poll(tmp_path: Path) -> None:
    path = tmp_path / "stdin"
    path.write_bytes(b"x" * 100000)
    fd = os.open(path, os.O_RDONLY)
    gone: Deferred[None] = Deferred()
    watch = watch_parent(reactor, lambda: gone.callback(None), fd=fd)
    await gone
    assert watch.eof
    os.close(fd)


def test_shutdown_is_not_an_end() -> None:
    called = []
    watch = ParentWatch(0, lambda: called.append(1))
    watch.connectionLost(Failure(main.CONNECTION_LOST))
    assert called == []
    assert watch.logPrefix() == "ParentWatch"
