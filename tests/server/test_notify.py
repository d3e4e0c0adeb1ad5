"""
L{dbdriver.server.notify}: the datagram itself (path and abstract
addresses, no socket, a socket nobody reads), and a real C{python -m
dbdriver} telling a test's C{NOTIFY_SOCKET} C{READY=1} then C{STOPPING=1}.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbdriver.server.notify import notify
from tests.conftest import child_env


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(30)
    yield sock, path
    sock.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": ""}) is False


def test_a_datagram_to_the_path(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert notify("READY=1", {"NOTIFY_SOCKET": path}) is True
    assert sock.recv(100) == b"READY=1"


def test_the_abstract_namespace() -> None:
    name = f"dbdriver-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert notify("STOPPING=1", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(100) == b"STOPPING=1"


def test_the_environment_by_default(
    listener: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert notify("READY=1") is True
    assert sock.recv(100) == b"READY=1"


def test_no_listener_is_logged_not_raised(tmp_path: Path) -> None:
    missing = str(tmp_path / "nobody.sock")
    assert notify("READY=1", {"NOTIFY_SOCKET": missing}) is False


def test_the_driver_notifies_ready_then_stopping(
    listener: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sock, path = listener
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbdriver", f"--socket={tmp_path / 'd.sock'}",
         f"--database={tmp_path / 'db.sqlite3'}"],
        cwd=tmp_path, env=child_env(NOTIFY_SOCKET=path),
        stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert sock.recv(100) == b"READY=1"
        probe = socket.socket(socket.AF_UNIX)
        probe.connect(str(tmp_path / "d.sock"))  # READY=1 means it accepts
        probe.close()
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(100) == b"STOPPING=1"
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
