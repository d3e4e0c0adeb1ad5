"""
A blocking peer of the driver (plain sockets, no reactor: the campaign's
clients are threads) and the checker of answers against PROTOCOL.md
section 3.
"""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

import cbor2

from dbdriver.exceptions import PROTOCOL_CODES

sys.set_int_max_str_digits(0)  # answers may quote bignums

#: Every error code of PROTOCOL.md section 3 (tests/stress checks the table).
CODES = frozenset(PROTOCOL_CODES)

#: Codes sent with C{"id": null} before the server closes the connection.
FRAMING_CODES = frozenset({"bad_frame", "message_too_large"})


class Closed(Exception):
    """The driver closed the connection (or it broke)."""


class Hang(Exception):
    """No answer came within the time allowed."""


def frame(payload: bytes) -> bytes:
    """C{payload} as one netstring."""
    return b"%d:%s," % (len(payload), payload)


def problem(answer: object, request_id: object) -> str | None:
    """
    What is wrong with C{answer} as the response to a request with id
    C{request_id} (C{None}: the id could not be read), or C{None} if it is a
    protocol answer: a map of C{id} and exactly one of C{result} or
    C{error}, the error a map with a known C{code} and a text C{message}.
    """
    if not isinstance(answer, dict):
        return f"answer is not a map: {type(answer).__name__}"
    keys = set(answer)
    if keys not in ({"id", "result"}, {"id", "error"}):
        return f"answer keys {sorted(map(str, keys))}"
    if request_id is not None and answer["id"] not in (request_id, None):
        return f"answer id {answer['id']!r:.40} for request {request_id!r:.40}"
    if "result" in answer:
        return None
    error = answer["error"]
    if not isinstance(error, dict) or not {"code", "message"} <= set(error):
        return f"error is not a map of code and message: {error!r:.200}"
    if set(error) - {"code", "message", "details"}:
        return f"error keys {sorted(map(str, error))}"
    if error["code"] not in CODES:
        return f"unknown error code {error['code']!r:.100}"
    if not isinstance(error["message"], str):
        return "error message is not text"
    if error["code"] == "internal":
        return f"internal: {error['message']:.200}"
    return None


def code(answer: Any) -> str | None:
    """The error code of an answer, C{None} for a result."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        found = answer["error"].get("code")
        return found if isinstance(found, str) else "?"
    return None


class Peer:
    """
    One connection to the driver's Unix socket: send any bytes, read whole
    frames (each decoded, or kept as bytes when it does not decode).
    """

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self._buffer = bytearray()
        self._next_id = 0
        self.closed = False

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_bytes(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.closed = True
            raise Closed(str(e)) from e

    def send(self, message: object, **options: Any) -> None:
        self.send_bytes(frame(cbor2.dumps(message, **options)))

    def _frame_in_buffer(self) -> bytes | None:
        colon = self._buffer.find(b":", 0, 12)
        if colon < 0:
            if len(self._buffer) > 11:
                raise Closed(f"not a netstring: {bytes(self._buffer[:20])!r}")
            return None
        length = int(self._buffer[:colon])
        end = colon + 1 + length
        if len(self._buffer) <= end:
            return None
        payload = bytes(self._buffer[colon + 1 : end])
        del self._buffer[: end + 1]
        return payload

    def read(self, timeout: float = 10.0) -> Any:
        """The next frame, decoded; L{Closed} at EOF, L{Hang} after C{timeout}."""
        deadline = time.monotonic() + timeout
        while True:
            payload = self._frame_in_buffer()
            if payload is not None:
                try:
                    return cbor2.loads(payload)
                except Exception:
                    return payload
            left = deadline - time.monotonic()
            if left <= 0:
                raise Hang(f"no answer in {timeout} s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                raise Hang(f"no answer in {timeout} s") from None
            except OSError as e:
                self.closed = True
                raise Closed(str(e)) from e
            if not data:
                self.closed = True
                raise Closed("end of stream")
            self._buffer += data

    def call(self, method: str, timeout: float = 10.0, **top: Any) -> Any:
        """Send one request, return its answer (a map)."""
        request_id = self.new_id()
        self.send({"id": request_id, "method": method, **top})
        while True:
            answer = self.read(timeout)
            if not isinstance(answer, dict) or answer.get("id") in (request_id, None):
                return answer


class Failed(Exception):
    """A call answered an error."""

    def __init__(self, answer: Any) -> None:
        super().__init__(f"{answer!r:.300}")
        self.answer = answer
        self.code = code(answer)


def result(answer: Any) -> Any:
    """The result of an answer; L{Failed} for an error."""
    if isinstance(answer, dict) and "result" in answer:
        return answer["result"]
    raise Failed(answer)


def wait_for(path: str, timeout: float = 30.0) -> None:
    """Block until the socket at C{path} answers a ping."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with Peer(path, timeout=2) as peer:
                if result(peer.call("ping", timeout=2)) == "pong":
                    return
        except (OSError, Closed, Hang, Failed):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
