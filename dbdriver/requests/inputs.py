"""
The bounds every client input is held to before anything else looks at
it (PROTOCOL.md section 3: any input gets a protocol code): how deep a
value may nest, no shared or cyclic values (CBOR tags 28/29), and
L{quoted}, the one way an error message shows a piece of input, at most
L{QUOTE_LIMIT} characters of it.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping

__all__ = [
    "MAX_NESTING",
    "MAX_PAYLOAD_NESTING",
    "QUOTE_LIMIT",
    "Unshaped",
    "check_shape",
    "clipped",
    "key_text",
    "quoted",
    "shown",
]

#: The most characters of an input an error message quotes.
QUOTE_LIMIT = 200
#: The deepest a where clause (C{$and}/C{$or}/C{$not} levels) or a C{json}
#: value (arrays and maps) nests.
MAX_NESTING = 64
#: The deepest any request nests, counted in CBOR arrays and maps: room for
#: the deepest where clause and json value inside a transaction batch.
MAX_PAYLOAD_NESTING = 256
#: Integers wider than this are quoted by their size (their decimal text
#: may be longer than Python converts).
_WIDE_INT_BITS = 640


class _Repr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxstring = self.maxother = self.maxlong = QUOTE_LIMIT
        self.maxdict = self.maxlist = self.maxtuple = 8
        self.maxset = self.maxfrozenset = 8

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > _WIDE_INT_BITS:
            return f"<integer of {x.bit_length()} bits>"
        return super().repr_int(x, level)

    def repr_instance(self, x: object, level: int) -> str:
        if isinstance(x, Mapping):  # cbor2's frozendict
            return self.repr_dict(dict(x), level)
        return super().repr_instance(x, level)


_REPR = _Repr()


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """
    C{value} as an error message shows it: text in quotes, other values as
    Python writes them, never more than C{limit} characters (cut with
    C{...}), whatever its size or shape.
    """
    if type(value) is str and len(value) <= limit - 2:
        return repr(value)
    return clipped(_REPR.repr(value), limit)


def clipped(text: str, limit: int = QUOTE_LIMIT) -> str:
    """
    C{text} (made of quoted input) cut to C{limit} characters.
    """
    if len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def shown(value: object) -> object:
    """
    C{value} for an error's details: short text as it is, anything else
    L{quoted}.
    """
    if type(value) is str and len(value) <= QUOTE_LIMIT:
        return value
    return quoted(value)


def key_text(key: object) -> str:
    """
    A map key as a list of names shows it: text as it is, anything else
    L{quoted} (pass the list through L{quoted} too).
    """
    return key if type(key) is str else quoted(key)


class Unshaped(Exception):
    """
    A value nested too deeply or with a shared or cyclic part (the message
    says which).
    """


def check_shape(value: object, limit: int = MAX_PAYLOAD_NESTING) -> None:
    """
    Check, without recursion, that no container of C{value} is reached
    twice (a CBOR shared reference: a cycle, or a part that would be
    expanded again each time it is referenced) and that containers nest
    at most C{limit} deep.

    @raise Unshaped: otherwise.
    """
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        children: Iterable[object]
        if type(item) is dict or isinstance(item, Mapping):
            children = [*item.keys(), *item.values()]
        elif type(item) is list or isinstance(item, (tuple, set, frozenset)):
            children = item
        else:
            continue
        if not children:
            continue  # empty containers cannot nest (and () is shared)
        if id(item) in seen:
            raise Unshaped("shared or cyclic values (CBOR tags 28/29) are not accepted")
        seen.add(id(item))
        if depth > limit:
            raise Unshaped(f"values nest deeper than {limit} arrays and maps")
        depth += 1
        for child in children:
            kind = type(child)
            # The scalars (most of a request) are never pushed.
            if kind is not str and kind is not int and child is not None:
                push((child, depth))
