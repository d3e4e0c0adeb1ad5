"""
The campaign's answer checker against PROTOCOL.md section 3.
"""

from __future__ import annotations

import re
from pathlib import Path

import cbor2

from stress._wire import CODES, problem
from stress.fuzz import check_window, expected_id

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


def test_codes_are_the_protocol_table() -> None:
    section = PROTOCOL.read_text().split("## 3. Response")[1].split("## 4.")[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M)) == CODES


def test_protocol_answers_pass() -> None:
    assert problem({"id": 1, "result": None}, 1) is None
    error = {"code": "bad_request", "message": "no"}
    assert problem({"id": None, "error": error}, 1) is None
    assert problem({"id": 1, "error": {**error, "details": {}}}, 1) is None


def test_wrong_answers_are_found() -> None:
    assert problem([1], 1)
    assert problem({"id": 1}, 1)
    assert problem({"id": 1, "result": 1, "error": {}}, 1)
    assert problem({"id": 2, "result": 1}, 1)
    assert problem({"id": 1, "error": {"code": "oops", "message": ""}}, 1)
    assert problem({"id": 1, "error": {"code": "internal", "message": "bug"}}, 1)
    assert problem({"id": 1, "error": {"code": "busy", "message": 3}}, 1)
    assert problem({"id": 1, "error": {"code": "busy"}}, 1)


def test_expected_id() -> None:
    assert expected_id(cbor2.dumps({"id": 7, "method": "x"})) == 7
    assert expected_id(cbor2.dumps({"id": "7"})) is None
    assert expected_id(b"\xff") is None
    assert expected_id(cbor2.dumps([1])) is None


def test_a_window_needs_one_answer_per_frame() -> None:
    sent = [cbor2.dumps({"id": 1}), cbor2.dumps({"id": 2}), b"\xff"]
    ok = {"code": "bad_request", "message": "m"}
    good = [{"id": 2, "result": 1}, {"id": None, "error": ok}, {"id": 1, "result": 0}]
    assert check_window(good, sent) == []
    assert check_window(good[:2], sent) == ["1 frames without an answer"]
    assert check_window([*good, {"id": None, "error": ok}], sent) == [
        "1 answers too many"
    ]
    assert check_window([*good[:2], {"id": 2, "result": 0}], sent) == [
        "answer for an id not in flight: 2",
        "1 frames without an answer",
    ]
