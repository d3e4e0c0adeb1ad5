"""
The wire both ends share (PROTOCOL.md sections 1-3): netstring framing,
the CBOR codec, request envelopes, results and the limits.  Imports nothing
from the client, the server or the drivers.
"""

from dbdriver.wire.cbor import (
    Encoded,
    array_header,
    encode,
    encode_rows,
    plain,
    response,
)
from dbdriver.wire.envelope import (
    Envelope,
    EnvelopeError,
    decode_envelope,
    decode_payload,
)
from dbdriver.wire.framing import FLUSH_EVERY, NetstringFraming
from dbdriver.wire.limits import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_PRIORITY,
    ENVELOPE_ROOM,
)
from dbdriver.wire.results import (
    BaseResult,
    ErrorResult,
    ExecuteResult,
    Page,
    SuccessResult,
    result_from_wire,
)

# Framing (section 1).
__all__ = ["FLUSH_EVERY", "NetstringFraming"]
# The CBOR codec.
__all__ += ["Encoded", "array_header", "encode", "encode_rows", "plain", "response"]
# Requests (section 2).
__all__ += ["Envelope", "EnvelopeError", "decode_envelope", "decode_payload"]
# Responses (section 3) and the shapes of fixed-shape results.
__all__ += [
    "BaseResult",
    "ErrorResult",
    "ExecuteResult",
    "Page",
    "SuccessResult",
    "result_from_wire",
]
# The limits both ends agree on.
__all__ += ["DEFAULT_MAX_MESSAGE_SIZE", "DEFAULT_PRIORITY", "ENVELOPE_ROOM"]
