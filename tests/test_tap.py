"""
L{dbdriver.tap}: the C{twistd dbdriver} options (PROTOCOL.md section 8)
parsed in-process: each option reaches its L{Config} field, each is
validated, and L{makeService} builds a L{DriverService} from them.
(tests/process/ runs a few bad options through a real twistd.)
"""

from __future__ import annotations

import attrs
import pytest
from twisted.python import usage

from dbdriver.server.config import Config
from dbdriver.server.runner import DriverService
from dbdriver.tap import Options, makeService


def parsed(*args: str) -> Options:
    options = Options()
    options.parseOptions(list(args))
    return options


def test_no_options_give_the_default_config() -> None:
    options = parsed()
    assert options.config() == Config()
    assert options["socket"] == "dbdriver.sock"
    assert options["mode"] == 0o600
    assert options["listen"] == []


def test_each_option_reaches_its_field() -> None:
    options = parsed(
        "--database=postgresql://u@h/db",
        "--pool-size=3",
        "--queue-size=11",
        "--request-timeout=2.5",
        "--transaction-idle-timeout=7",
        "--max-message-size=4096",
        "--read-only",
        "--no-raw-sql",
        "--shutdown-timeout=0",
        "--max-rows=0",
        "--busy-timeout=0.25",
        "--max-transactions=5",
        "--synchronous=full",
        "--allow-session-sql",
        "--write-lock-idle-timeout=1.5",
        "--no-create",
        "--backup-root=/srv/backups",
        "--allow-uid=0,1000",
        "--allow-gid=50",
        "--auth-token-file=/etc/dbdriver/token",
        "--insecure",
        "--max-connections=9",
        "--connection-queue=4",
    )
    assert attrs.asdict(options.config()) == {
        "database": "postgresql://u@h/db",
        "pool_size": 3,
        "queue_size": 11,
        "request_timeout": 2.5,
        "transaction_idle_timeout": 7.0,
        "max_message_size": 4096,
        "read_only": True,
        "no_raw_sql": True,
        "shutdown_timeout": 0.0,
        "max_rows": 0,
        "busy_timeout": 0.25,
        "max_transactions": 5,
        "synchronous": "full",
        "allow_session_sql": True,
        "write_lock_idle_timeout": 1.5,
        "no_create": True,
        "backup_root": "/srv/backups",
        "allow_uid": (0, 1000),
        "allow_gid": (50,),
        "auth_token_file": "/etc/dbdriver/token",
        "insecure": True,
        "max_connections": 9,
        "connection_queue": 4,
    }
    config = options.config()
    assert type(config.pool_size) is int
    assert type(config.request_timeout) is float


def test_options_and_config_name_the_same_settings() -> None:
    names = {
        name.replace("-", "_") for name, *_ in Options.optParameters + Options.optFlags
    } | {"synchronous"}
    fields = {f.name for f in attrs.fields(Config)}
    assert fields - names == set(), "a setting with no option"
    assert names - fields == {"socket", "mode", "ready_fd", "exit_with_parent"}


@pytest.mark.parametrize(
    ("args", "mode"),
    [((), 0o600), (("--mode=0660",), 0o660), (("--mode=644",), 0o644)],
)
def test_mode_is_octal(args: tuple[str, ...], mode: int) -> None:
    assert parsed(*args)["mode"] == mode


def test_socket_default_only_without_listen() -> None:
    assert parsed("--socket=/run/x.sock")["socket"] == "/run/x.sock"
    only_listen = parsed(
        "--listen=tcp:0:interface=127.0.0.1", "--listen=unix:/tmp/a.sock"
    )
    assert only_listen["socket"] is None
    assert only_listen["listen"] == ["tcp:0:interface=127.0.0.1", "unix:/tmp/a.sock"]
    both = parsed("--listen=tcp:0:interface=127.0.0.1", "--socket=s.sock")
    assert (both["socket"], both["listen"]) == ("s.sock", ["tcp:0:interface=127.0.0.1"])


def test_listen_is_not_shared_between_instances() -> None:
    parsed("--listen=tcp:1:interface=127.0.0.1")
    assert parsed()["listen"] == []


BAD = [
    "--mode=9z",
    "--mode=0x10",
    "--database=oracle://scott@db",
    "--pool-size=0",
    "--pool-size=x",
    "--queue-size=0",
    "--queue-size=-3",
    "--request-timeout=0",
    "--request-timeout=-1",
    "--transaction-idle-timeout=0",
    "--max-message-size=0",
    "--max-message-size=1.5",
    "--shutdown-timeout=-0.5",
    "--shutdown-timeout=soon",
    "--max-rows=-1",
    "--max-rows=1e3",
    "--busy-timeout=0",
    "--max-transactions=0",
    "--synchronous=off",
    "--synchronous=FULL",
    "--no-such-option",
]


@pytest.mark.parametrize("arg", BAD)
def test_bad_values_are_usage_errors(arg: str) -> None:
    with pytest.raises(usage.UsageError):
        parsed(arg)


def test_usage_errors_say_what_is_wrong() -> None:
    with pytest.raises(usage.UsageError, match="octal"):
        parsed("--mode=9z")
    with pytest.raises(usage.UsageError, match="oracle"):
        parsed("--database=oracle://x")
    with pytest.raises(usage.UsageError, match="must be normal or full"):
        parsed("--synchronous=off")
    with pytest.raises(usage.UsageError, match="> 0"):
        parsed("--queue-size=0")


@pytest.mark.parametrize(
    "option",
    ["request-timeout", "transaction-idle-timeout", "busy-timeout", "shutdown-timeout"],
)
def test_nan_is_refused(option: str) -> None:
    with pytest.raises(usage.UsageError):
        parsed(f"--{option}=nan")


@pytest.mark.parametrize("mode", ["-1", "10000"])
def test_mode_out_of_range_is_refused(mode: str) -> None:
    with pytest.raises(usage.UsageError):
        parsed(f"--mode={mode}")


def test_make_service_builds_a_driver_service() -> None:
    options = parsed(
        "--socket=/tmp/x.sock",
        "--mode=0640",
        "--listen=tcp:0:interface=127.0.0.1",
        "--listen=unix:/tmp/y.sock",
        "--database=:memory:",
        "--queue-size=3",
    )
    service = makeService(options)
    assert isinstance(service, DriverService)
    assert service.config == Config(database=":memory:", queue_size=3)
    assert service.socket_path == "/tmp/x.sock"
    assert service.mode == 0o640
    assert service.listen == ("tcp:0:interface=127.0.0.1", "unix:/tmp/y.sock")
    assert not service.running  # built, not started
    assert service.driver is None


def test_make_service_with_listen_only_has_no_socket_path() -> None:
    service = makeService(parsed("--listen=tcp:0:interface=127.0.0.1"))
    assert service.socket_path is None
    assert service.listen == ("tcp:0:interface=127.0.0.1",)


def test_the_plugin_makes_the_service_from_this_module() -> None:
    from twisted.plugins.dbdriver_plugin import dbdriver

    assert dbdriver.tapname == "dbdriver"
    assert dbdriver.module == "dbdriver.tap"
    assert dbdriver.options is Options
    assert dbdriver.makeService is makeService


@pytest.mark.parametrize("spec", ["tcp:7000", "tcp6:7000", "systemd:domain=INET"])
def test_network_listen_needs_a_token_file_tls_or_insecure(spec: str) -> None:
    with pytest.raises(usage.UsageError, match="without TLS"):
        parsed(f"--listen={spec}")
    assert parsed(f"--listen={spec}", "--insecure")["listen"] == [spec]
    assert parsed(f"--listen={spec}", "--auth-token-file=t")["listen"] == [spec]
    assert parsed("--listen=ssl:7000:privateKey=k.pem")["socket"] is None
