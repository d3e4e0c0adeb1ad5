"""
The base of the request types: construction from wire params (unknown,
missing and ill-typed params are L{InvalidParams}) and back.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from dbdriver.exceptions import InvalidParams
from dbdriver.requests import values as check
from dbdriver.requests.fields import checked
from dbdriver.requests.inputs import key_text, quoted

__all__ = ["BaseRequest", "TableRequest"]


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class BaseRequest:
    """
    A validated request.

    @cvar method: the protocol's method name.
    @cvar kind: C{"server"} (answered by the server itself), C{"data"} (runs
        on a database connection) or C{"control"} (transaction control).
    @cvar reads: whether the method only reads (may run with other reads).
    @cvar single_statement: whether it writes with one SQL statement.
    @cvar alone: whether it runs alone, outside any write group (it may
        manage or forbid a transaction of its own).
    @cvar batchable: whether it may be an operation of a C{transaction}
        batch (the row methods).

    L{writes} and L{raw_sql} are properties, which a class overrides with a
    class attribute (a method that always writes) or with a property (when
    it depends on the params).
    """

    method: ClassVar[str] = ""
    kind: ClassVar[str] = "data"
    reads: ClassVar[bool] = False
    single_statement: ClassVar[bool] = False
    alone: ClassVar[bool] = False
    batchable: ClassVar[bool] = False

    @property
    def writes(self) -> bool:
        """
        Whether the request writes (refused C{read_only}).
        """
        return False

    @property
    def raw_sql(self) -> bool:
        """
        Whether it runs SQL the client wrote (refused C{no_raw_sql}).
        """
        return False

    @classmethod
    def from_params(cls, params: object) -> BaseRequest:
        """
        Build from a wire C{params} map; unknown, missing or ill-typed
        params are L{InvalidParams}.
        """
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise InvalidParams("params must be a map")
        known = _known_params(cls)
        if not known.issuperset(params):
            unknown = quoted(sorted(key_text(k) for k in params if k not in known))
            raise InvalidParams(f"{cls.method}: unknown params {unknown}")
        try:
            return cls(**params)
        except TypeError as e:
            missing = sorted(
                f.name
                for f in attrs.fields(cls)
                if f.init and f.default is attrs.NOTHING and f.name not in params
            )
            if not missing:
                raise
            raise InvalidParams(f"{cls.method}: missing params {missing}") from e

    def to_params(self) -> dict[str, object]:
        """
        The wire C{params} map (params equal to their default are left out).
        """
        params: dict[str, object] = {}
        for f in attrs.fields(type(self)):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.default is attrs.NOTHING or value != f.default:
                params[f.name] = _wire(value)
        return params


_KNOWN: dict[type, frozenset[str]] = {}


def _known_params(cls: type) -> frozenset[str]:
    known = _KNOWN.get(cls)
    if known is None:
        known = _KNOWN[cls] = frozenset(f.name for f in attrs.fields(cls) if f.init)
    return known


def _wire(value: object) -> object:
    if isinstance(value, BaseRequest):
        return {"method": value.method, "params": value.to_params()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class TableRequest(BaseRequest):
    """
    A request about one table.

    @ivar table: the table's name.
    """

    table: str = attrs.field(validator=checked(check.identifier))
