"""
A static-style check of C{typing.Protocol} conformance for the tests: every
member a Protocol declares exists on an object, and each method takes the
same parameters (names, kinds, which are required).  The server's Protocols
are not C{runtime_checkable}, so this is what keeps concrete classes and
the tests' recording stand-ins honest.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["members", "mismatches"]

_IGNORED = {
    "__abstractmethods__",
    "__annotations__",
    "__dict__",
    "__doc__",
    "__init__",
    "__module__",
    "__parameters__",
    "__protocol_attrs__",
    "__subclasshook__",
    "__weakref__",
    "__non_callable_proto_members__",
    "__orig_bases__",
    "__static_attributes__",
    "__firstlineno__",
    "_is_protocol",
    "_is_runtime_protocol",
}


def members(protocol: type) -> dict[str, Any]:
    """The members a Protocol declares (its own, not C{object}'s)."""
    return {
        name: value
        for name, value in vars(protocol).items()
        if name not in _IGNORED and not name.startswith("_abc_")
    }


def _parameters(function: Any) -> list[tuple[str, Any, bool]]:
    signature = inspect.signature(function)
    return [
        (p.name, p.kind, p.default is inspect.Parameter.empty)
        for p in signature.parameters.values()
        if p.name != "self"
    ]


def mismatches(protocol: type, obj: Any) -> list[str]:
    """
    What C{obj} (an instance) lacks or gets wrong of C{protocol}; empty
    when it provides it structurally.
    """
    problems: list[str] = []
    for name, declared in members(protocol).items():
        if name == "__hash__":
            if type(obj).__hash__ is None:
                problems.append("__hash__: unhashable")
            continue
        if not hasattr(obj, name):
            problems.append(f"{name}: missing")
            continue
        if isinstance(declared, property):
            if callable(getattr(obj, name)):
                problems.append(f"{name}: a method where a value is declared")
            continue
        actual = getattr(obj, name)
        if not callable(actual):
            problems.append(f"{name}: not callable")
            continue
        want, got = _parameters(declared), _parameters(actual)
        if want != got:
            problems.append(f"{name}: parameters {got} instead of {want}")
    return problems
