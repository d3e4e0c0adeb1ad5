"""
C{authenticate} (PROTOCOL.md section 9): the first request of every
connection to a server started with C{--auth-token-file}.
"""

from __future__ import annotations

import attrs

from dbdriver.requests import values as check
from dbdriver.requests.base import BaseRequest
from dbdriver.requests.fields import checked

__all__ = ["AuthenticateRequest"]


@attrs.define(slots=True, on_setattr=attrs.setters.NO_OP)
class AuthenticateRequest(BaseRequest):
    """
    Present the server's token; the server answers C{true} (or
    C{unauthenticated}, and closes the connection).

    @ivar token: the content of the server's token file (never shown in a
        C{repr}).
    """

    method = "authenticate"
    kind = "server"
    token: str = attrs.field(validator=checked(check.text), repr=False)
