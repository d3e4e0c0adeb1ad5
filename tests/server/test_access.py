"""
L{dbdriver.server.access}: the endpoints that would serve a network without
TLS, the token file, and both through the real driver process: refused at
start-up (non-zero exit, a clear message) unless a token or C{--insecure};
a token that the real client presents.
"""

from __future__ import annotations

import os
import socket

import pytest
import pytest_twisted
from twisted.internet import reactor

from dbdriver.client import ReconnectingClient, connect
from dbdriver.exceptions import Unauthenticated
from dbdriver.server.access import AccessPolicy, exposed_endpoints, load_token
from tests.conftest import DriverProcess

EXPOSED = [
    "tcp:7000",
    "tcp:port=7000",
    "tcp:7000:interface=0.0.0.0",
    "tcp:7000:interface=10.1.2.3",
    "tcp6:7000",
    "tcp6:port=7000:interface=\\:\\:",
    "systemd:domain=INET:index=0",
]
LOCAL = [
    "tcp:7000:interface=127.0.0.1",
    "tcp:port=7000:interface=localhost",
    "tcp6:7000:interface=\\:\\:1",
    "ssl:7000:privateKey=key.pem",
    "unix:/tmp/x.sock",
    "systemd:domain=UNIX:index=0",
]


def test_which_endpoints_are_exposed() -> None:
    assert exposed_endpoints(EXPOSED + LOCAL) == EXPOSED


def test_the_token_file(tmp_path) -> None:
    path = tmp_path / "token"
    path.write_text("  s3cret\n")
    assert load_token(str(path)) == b"s3cret"
    path.write_text("\n")
    with pytest.raises(SystemExit, match="is empty"):
        load_token(str(path))
    with pytest.raises(SystemExit, match="cannot read"):
        load_token(str(tmp_path / "missing"))
    policy = AccessPolicy(token=b"s3cret")
    assert policy.check_token("s3cret") and not policy.check_token("s3cre")
    assert AccessPolicy().check_token("anything")
    assert AccessPolicy(allow_uid=(0,)).admit(object()) is None  # not a Unix socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def exit_of(start_driver, *options: str) -> tuple[int, str]:
    driver: DriverProcess = start_driver(*options, wait=False)
    return driver.wait(30), driver.log()


@pytest.mark.parametrize("interface", ["", ":interface=0.0.0.0"])
def test_network_tcp_without_a_token_is_refused_at_start(start_driver, interface):
    status, log = exit_of(start_driver, f"--listen=tcp:{free_port()}{interface}")
    assert status != 0
    assert "serves a network without TLS" in log
    assert "--insecure" in log


def test_network_tcp_with_insecure_starts(start_driver):
    port = free_port()
    driver = start_driver(f"--listen=tcp:{port}", "--socket=driver.sock", "--insecure")
    with socket.create_connection(("127.0.0.1", port), timeout=10):
        pass
    assert driver.proc is not None and driver.proc.poll() is None


@pytest.mark.parametrize("content", [None, "", "\n"])
def test_a_token_file_missing_or_empty_refuses_to_start(
    start_driver, tmp_path, content
):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    status, log = exit_of(start_driver, f"--auth-token-file={path}")
    assert status != 0
    assert "--auth-token-file" in log
    assert not os.path.exists(tmp_path / "driver.sock")


@pytest.fixture
def token_driver(start_driver, tmp_path):
    path = tmp_path / "token"
    path.write_text("s3cret\n")
    port = free_port()
    return start_driver(
        f"--auth-token-file={path}",
        f"--listen=tcp:{port}:interface=127.0.0.1",
        "--socket=driver.sock",
    )


@pytest_twisted.ensureDeferred
async def test_the_clients_present_the_token(token_driver):
    client = await connect(reactor, token_driver.socket, token="s3cret")
    assert await client.ping() == "pong"
    await client.close()
    with pytest.raises(Unauthenticated):
        await connect(reactor, token_driver.socket, token="wrong")
    again = ReconnectingClient(reactor, token_driver.socket, token="s3cret")
    again.startService()
    try:
        assert await again.ping() == "pong"
        assert await again.count("sqlite_master") == 0
    finally:
        await again.stopService()
