"""
The literal values of a table schema: a column's default, checked against
the column's type (a literal of another type is L{InvalidParams} on every
backend), and UUIDs in their canonical form.
"""

from __future__ import annotations

import datetime
import json
import math
import uuid

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.inputs import quoted
from dbdriver.requests.sqltext import tokens
from dbdriver.requests.tableschema import DEFAULT_FUNCTIONS, Default
from dbdriver.requests.values import Scalar

__all__ = ["canonical_uuid", "column_default"]


def canonical_uuid(value: object, what: str) -> str:
    """
    A UUID in canonical text form (36 characters, lower case).
    """
    if type(value) is str and len(value) == 36:
        try:
            text = str(uuid.UUID(value))
        except ValueError:
            pass
        else:
            if text == value:
                return text
    raise InvalidParams(f"{what}: {quoted(value)} is not a UUID in canonical form")


def _expression(sql: str, what: str) -> str:
    """
    An C{{"sql": ...}} default: one expression, which the DDL puts in
    parentheses. No comment, no top-level C{;}, no parenthesis it did not
    open: nothing can close the C{DEFAULT (...)} clause or add a statement.
    """
    depth = 0
    for kind, text in tokens(sql):
        if kind in ("comment", "hint", "semicolon", "dollar"):
            raise InvalidParams(f"{what}: sql is one expression (no ; or comment)")
        if kind in ("string", "quoted"):
            continue
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
        if depth < 0:
            break
    if depth != 0:
        raise InvalidParams(f"{what}: sql has unbalanced parentheses")
    return sql


def column_default(
    column: str, kind: str, max_length: object, value: object
) -> Default:
    what = f"column {column}: default"
    if isinstance(value, dict):
        if len(value) != 1 or not ({"function", "sql"} >= value.keys()):
            raise InvalidParams(f"{what} must be a literal, a function or an sql map")
        if "sql" in value:
            sql = value["sql"]
            if type(sql) is not str or not sql.strip() or "\x00" in sql:
                raise InvalidParams(f"{what}: sql must be non-empty text")
            return Default("sql", _expression(sql, what))
        function = value["function"]
        if type(function) is not str or function not in DEFAULT_FUNCTIONS:
            raise InvalidParams(
                f"{what}: function must be one of {sorted(DEFAULT_FUNCTIONS)}"
            )
        if kind not in DEFAULT_FUNCTIONS[function]:
            raise InvalidParams(f"{what}: {function} cannot fill a {kind} column")
        return Default("function", function)
    return Default("literal", _literal(what, kind, max_length, value))


def _literal(what: str, kind: str, max_length: object, value: object) -> Scalar:
    if value is None:
        return None
    wrong = InvalidParams(f"{what}: {quoted(value)} is not a value of type {kind}")
    if kind in ("integer", "bigint"):
        if type(value) is not int or not -(2**63) <= value < 2**63:
            raise wrong
        return value
    if kind == "real":
        if type(value) is int or (type(value) is float and math.isfinite(value)):
            return float(value)
        raise wrong
    if kind == "boolean":
        if type(value) is not bool:
            raise wrong
        return value
    if kind == "blob":
        if type(value) is not bytes:
            raise wrong
        return value
    if kind == "uuid":
        return canonical_uuid(value, what)
    if kind == "timestamp":
        return _timestamp(value, wrong)
    if type(value) is not str or "\x00" in value:
        raise wrong
    if kind == "json":
        try:
            json.loads(value)
        except (ValueError, RecursionError):
            raise InvalidParams(f"{what}: a json default is JSON text") from None
    elif isinstance(max_length, int) and len(value) > max_length:
        raise InvalidParams(f"{what}: longer than max_length {max_length}")
    return value


def _timestamp(value: object, wrong: InvalidParams) -> str:
    if isinstance(value, datetime.datetime):
        moment = value
    elif type(value) is str:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise wrong from None
    else:
        raise wrong
    if moment.tzinfo is None:
        raise wrong
    try:
        return moment.astimezone(datetime.UTC).isoformat()
    except OverflowError:
        raise wrong from None
