"""
L{dbdriver.exceptions}: one class per protocol error code and back (the
code table of PROTOCOL.md section 3), C{to_wire}, and L{error_for_code}
for codes this version does not know.  (tests/test_public_api.py pins the
list of codes and that each keeps its code; this file checks the classes.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dbdriver import exceptions as exc
from dbdriver.wire.cbor import encode
from dbdriver.wire.envelope import decode_payload
from dbdriver.wire.results import ErrorResult, result_from_wire

PROTOCOL_MD = Path(__file__).resolve().parent.parent / "docs" / "PROTOCOL.md"

#: Each code of PROTOCOL.md section 3, and the class the client raises.
CLASSES = {
    "bad_frame": exc.BadFrame,
    "message_too_large": exc.MessageTooLarge,
    "bad_request": exc.BadRequest,
    "unknown_method": exc.UnknownMethod,
    "invalid_params": exc.InvalidParams,
    "no_such_table": exc.NoSuchTable,
    "no_such_column": exc.NoSuchColumn,
    "constraint_violation": exc.ConstraintViolation,
    "sql_error": exc.SQLError,
    "busy": exc.Busy,
    "queue_full": exc.QueueFull,
    "timeout": exc.RequestTimeout,
    "unknown_transaction": exc.UnknownTransaction,
    "read_only": exc.ReadOnly,
    "forbidden": exc.Forbidden,
    "result_too_large": exc.ResultTooLarge,
    "shutting_down": exc.ShuttingDown,
    "internal": exc.InternalError,
    "unavailable": exc.Unavailable,
    "unauthenticated": exc.Unauthenticated,
}


def _documented_codes() -> list[str]:
    text = PROTOCOL_MD.read_text()
    section = text.split("Error codes", 1)[1].split("## 4.", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_the_codes_are_the_documented_ones() -> None:
    assert _documented_codes() == list(exc.PROTOCOL_CODES)
    assert list(CLASSES) == list(exc.PROTOCOL_CODES)


@pytest.mark.parametrize(("code", "cls"), CLASSES.items(), ids=list(CLASSES))
def test_each_code_maps_to_its_class_and_back(code: str, cls: type) -> None:
    assert cls.code == code
    error = exc.error_for_code(code, "why", {"k": [1, 2]})
    assert type(error) is cls
    assert (error.message, error.details) == ("why", {"k": [1, 2]})
    assert str(error) == "why"
    assert exc.error_for_code(error.code, error.message).code == code


def test_every_error_class_is_exported_and_has_its_own_code() -> None:
    classes = [
        getattr(exc, name)
        for name in exc.__all__
        if isinstance(getattr(exc, name), type)
        and issubclass(getattr(exc, name), exc.DriverError)
        and getattr(exc, name) is not exc.DriverError
    ]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes), "two classes share a code"
    for cls in classes:
        assert type(exc.error_for_code(cls.code, "m")) is cls
    assert set(CLASSES.values()) | {exc.ConnectionLost} == set(classes)


def test_connection_lost_is_client_side_only() -> None:
    assert "connection_lost" not in exc.PROTOCOL_CODES
    error = exc.error_for_code("connection_lost", "gone")
    assert type(error) is exc.ConnectionLost
    assert issubclass(exc.ConnectionLost, exc.DriverError)


@pytest.mark.parametrize("details", [0, "", [], {}, False])
def test_to_wire_keeps_falsy_details(details: object) -> None:
    wire = exc.Busy("locked", details).to_wire()
    assert wire == {"code": "busy", "message": "locked", "details": details}


def test_to_wire_omits_absent_details() -> None:
    assert exc.NoSuchTable("no t").to_wire() == {
        "code": "no_such_table",
        "message": "no t",
    }
    assert exc.DriverError("plain").to_wire()["code"] == "internal"


@pytest.mark.parametrize(("code", "cls"), CLASSES.items(), ids=list(CLASSES))
def test_an_error_survives_the_wire(code: str, cls: type) -> None:
    sent = cls("a message", {"table": "t", "n": 3})
    message = decode_payload(encode(ErrorResult(9, sent).to_wire()))
    got = result_from_wire(message)
    assert got.request_id == 9
    with pytest.raises(cls) as raised:
        got.unwrap()
    assert raised.value.message == "a message"
    assert raised.value.details == {"table": "t", "n": 3}


def test_unknown_code_does_not_change_the_base_class() -> None:
    error = exc.error_for_code("from_the_future", "later", {"x": 1})
    assert error.to_wire() == {
        "code": "from_the_future",
        "message": "later",
        "details": {"x": 1},
    }
    assert exc.DriverError.code == "internal"
    assert exc.DriverError("other").code == "internal"
    assert not isinstance(error, tuple(CLASSES.values()))


def test_repr_names_the_class_message_and_details() -> None:
    assert repr(exc.QueueFull("full", {"capacity": 2})) == (
        "QueueFull('full', details={'capacity': 2})"
    )


def test_to_wire_cuts_long_messages_and_details() -> None:
    """
    Issue 12, defect 10: whatever built it, an error on the wire carries at
    most 500 characters of message and 200 of each text detail.
    """
    error = exc.UnknownTransaction("no cursor " + "x" * 9000, {"cursor_id": "x" * 9000})
    wire = error.to_wire()
    assert len(wire["message"]) < exc.MAX_MESSAGE_LENGTH + 40
    assert wire["message"].endswith("(8510 characters cut)")
    assert wire["details"] == {"cursor_id": "x" * 197 + "..."}
    assert exc.InvalidParams("short", {"a": 1}).to_wire()["details"] == {"a": 1}
