"""
The limits both ends of the wire agree on (PROTOCOL.md sections 1 and 8).
"""

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "DEFAULT_PRIORITY", "ENVELOPE_ROOM"]

#: The default C{--max-message-size}: the largest frame either end accepts.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: The priority of a request that names none (0 is the most urgent).
DEFAULT_PRIORITY = 5
#: Room kept for the rest of the response around an encoded result.
ENVELOPE_ROOM = 64
