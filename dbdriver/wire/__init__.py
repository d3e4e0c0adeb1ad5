"""
The wire both ends share (PROTOCOL.md sections 1-3): netstring framing,
the CBOR codec, request envelopes, results and the limits.  Imports nothing
from the client, the server or the drivers.
"""
