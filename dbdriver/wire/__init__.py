"""
The wire both ends share (PROTOCOL.md sections 1-3): netstring framing,
the CBOR codec, request envelopes, results and the limits.  Imports nothing
from the client, the server or the drivers.
"""

from dbdriver.wire import cbor, envelope, framing, limits, results

# Each module lists its names once, in its own __all__.
from dbdriver.wire.cbor import *  # noqa: F403
from dbdriver.wire.envelope import *  # noqa: F403
from dbdriver.wire.framing import *  # noqa: F403
from dbdriver.wire.limits import *  # noqa: F403
from dbdriver.wire.results import *  # noqa: F403

# Framing (section 1), the CBOR codec, requests (section 2), responses
# (section 3) with the shapes of fixed-shape results, and the limits both
# ends agree on.
__all__ = (
    framing.__all__ + cbor.__all__ + envelope.__all__ + results.__all__ + limits.__all__
)
