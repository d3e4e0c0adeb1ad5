"""
L{dbdriver.client.params}: what goes on the wire for the params of the
client methods (set params only, sequences as arrays, request objects as
maps).
"""

from __future__ import annotations

from dbdriver.client.params import _list, _operation, _params
from dbdriver.requests.rows import CountRequest, InsertRequest


def test_only_the_params_that_are_set() -> None:
    assert _params(a=None, b=False, c=0, d="", e=[], f=True) == {
        "c": 0,
        "d": "",
        "e": [],
        "f": True,
    }
    assert _params() == {}


def test_sequences_become_lists() -> None:
    assert _list(None) is None
    same = [1, 2]
    assert _list(same) is same
    assert _list((1, 2)) == [1, 2]
    assert _list(range(3)) == [0, 1, 2]


def test_text_is_sent_as_it_is() -> None:
    """Text is no sequence of names: the request checks refuse it."""
    assert _list("ab") == "ab"
    assert _list(b"ab") == b"ab"


def test_operations() -> None:
    assert _operation(InsertRequest("t", {"a": 1})) == {
        "method": "insert",
        "params": {"table": "t", "data": {"a": 1}},
    }
    assert _operation(CountRequest("t", {"a": 1})) == {
        "method": "count",
        "params": {"table": "t", "where": {"a": 1}},
    }
    raw = {"method": "count", "params": {"table": "t"}, "bind": {}}
    assert _operation(raw) is raw
