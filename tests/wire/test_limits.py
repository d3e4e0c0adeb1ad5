"""
L{dbdriver.wire.limits}: the numbers both ends agree on, as PROTOCOL.md
states them, and the ones that derive from them.
"""

from __future__ import annotations

import cbor2

from dbdriver.client.protocol import DEFAULT_CLIENT_MAX_MESSAGE_SIZE
from dbdriver.server.config import Config
from dbdriver.wire import limits
from dbdriver.wire.cbor import response
from dbdriver.wire.framing import NetstringFraming


def test_the_documented_values() -> None:
    assert limits.DEFAULT_MAX_MESSAGE_SIZE == 16 * 1024 * 1024
    assert limits.DEFAULT_PRIORITY == 5
    assert limits.ENVELOPE_ROOM == 64


def test_both_ends_start_from_them() -> None:
    assert NetstringFraming.MAX_LENGTH == limits.DEFAULT_MAX_MESSAGE_SIZE
    assert DEFAULT_CLIENT_MAX_MESSAGE_SIZE >= limits.DEFAULT_MAX_MESSAGE_SIZE


def test_the_server_config_defaults_to_the_message_size() -> None:
    assert Config().max_message_size == limits.DEFAULT_MAX_MESSAGE_SIZE


def test_the_envelope_fits_its_room() -> None:
    """The largest response head around a result stays within the room kept."""
    head = response(2**64 - 1, None)
    assert len(head) - len(cbor2.dumps(None)) <= limits.ENVELOPE_ROOM
