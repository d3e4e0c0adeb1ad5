"""
L{dbdriver.server.config.Config}: its defaults are the documented ones
(PROTOCOL.md section 8), it is an immutable value, and it provides the
settings a driver reads (L{dbdriver.drivers.interfaces.DriverSettings}).
"""

from __future__ import annotations

import attrs
import pytest

from dbdriver.drivers.interfaces import DriverSettings
from dbdriver.server.config import Config
from dbdriver.wire.limits import DEFAULT_MAX_MESSAGE_SIZE


def test_defaults_are_the_documented_ones() -> None:
    config = Config()
    assert attrs.asdict(config) == {
        "database": "dbdriver.sqlite3",
        "pool_size": None,
        "queue_size": 10000,
        "request_timeout": 30.0,
        "transaction_idle_timeout": 60.0,
        "max_message_size": 16 * 1024 * 1024,
        "read_only": False,
        "no_raw_sql": False,
        "shutdown_timeout": 10.0,
        "max_rows": 1000000,
        "busy_timeout": 5.0,
        "max_transactions": 64,
        "synchronous": "normal",
        "allow_session_sql": False,
        "write_lock_idle_timeout": 5.0,
        "no_create": False,
        "backup_root": None,
        "allow_uid": (),
        "allow_gid": (),
        "auth_token_file": None,
        "insecure": False,
        "max_connections": 1024,
        "connection_queue": 1000,
    }
    assert config.max_message_size == DEFAULT_MAX_MESSAGE_SIZE


def test_frozen() -> None:
    config = Config(database=":memory:")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.database = "other"  # type: ignore[misc]
    assert config.database == ":memory:"


def test_a_value_equal_by_fields_and_hashable() -> None:
    assert Config(queue_size=5) == Config(queue_size=5)
    assert Config(queue_size=5) != Config(queue_size=6)
    assert len({Config(), Config(), Config(read_only=True)}) == 2
    changed = attrs.evolve(Config(), max_rows=0)
    assert (changed.max_rows, changed.database) == (0, "dbdriver.sqlite3")


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(TypeError):
        Config(queue_sise=5)  # type: ignore[call-arg]


def test_provides_the_driver_settings() -> None:
    config = Config(pool_size=3, busy_timeout=0.5, max_transactions=2)
    assert isinstance(config, DriverSettings)
    declared = {f.name for f in attrs.fields(DriverSettings)}
    assert declared, "DriverSettings declares nothing"
    missing = declared - {f.name for f in attrs.fields(Config)}
    assert missing == set()
    assert (config.pool_size, config.busy_timeout, config.max_transactions) == (
        3,
        0.5,
        2,
    )
