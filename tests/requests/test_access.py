"""
L{dbdriver.requests.access}: C{authenticate} takes one non-empty text
C{token}, which its C{repr} never shows.
"""

from __future__ import annotations

import pytest

from dbdriver.exceptions import InvalidParams
from dbdriver.requests.access import AuthenticateRequest
from dbdriver.requests.methods import parse_request


def test_authenticate_takes_a_token() -> None:
    request = parse_request("authenticate", {"token": "s3cret"})
    assert request == AuthenticateRequest("s3cret")
    assert (request.kind, request.writes) == ("server", False)
    assert request.to_params() == {"token": "s3cret"}
    assert "s3cret" not in repr(request)


@pytest.mark.parametrize("params", [{}, {"token": ""}, {"token": 1}, {"t": "x"}])
def test_a_bad_token_param_is_invalid(params: dict) -> None:
    with pytest.raises(InvalidParams):
        AuthenticateRequest.from_params(params)
