"""
A private PostgreSQL server for fault tests: C{initdb} into a temporary
directory, its own port and Unix socket there, stopped (C{pg_ctl stop -m
immediate}, a crash as far as clients can tell) and started again at will.
The shared server of the other tests is never touched.

PostgreSQL refuses to run as root: when the tests do, the server runs as
the C{postgres} user (C{runuser}).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["PrivatePostgreSQL", "private_postgresql"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivatePostgreSQL:
    """
    One private server: C{uri} reaches its C{postgres} database over the
    Unix socket in its directory.
    """

    def __init__(self, directory: str, port: int) -> None:
        self.directory = directory
        self.data = os.path.join(directory, "data")
        self.port = port
        self.uri = f"postgresql:///postgres?host={directory}&port={port}&user=postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run(
            [*self._as, *argv],
            check=True,
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses='' "
            f"-c unix_socket_directories={self.directory} -c fsync=off"
        )
        log = os.path.join(self.directory, "server.log")
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def kill(self) -> None:
        """Stop at once: no goodbye to clients, running statements lost."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        subprocess.run(
            [*self._as, "pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )


@contextmanager
def private_postgresql() -> Iterator[PrivatePostgreSQL]:
    """A started private server, stopped and removed on exit."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("initdb and pg_ctl are not installed")
    directory = tempfile.mkdtemp(prefix="dbd-pg-")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    server = PrivatePostgreSQL(directory, _free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
