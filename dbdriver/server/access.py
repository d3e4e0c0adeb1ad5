"""
Who may connect (PROTOCOL.md section 9): the peer's credentials on a Unix
socket (C{--allow-uid}, C{--allow-gid}), the token every connection
presents first (C{--auth-token-file}), and the refusal to serve TCP beyond
loopback without a token or TLS (unless C{--insecure}).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import socket
import struct

import attrs
from twisted.logger import Logger

from dbdriver.exceptions import Unauthenticated

__all__ = ["AccessPolicy", "exposed_endpoints", "load_token", "peer_credentials"]

_UCRED = struct.Struct("3i")  # pid, uid, gid (Linux struct ucred)


def peer_credentials(transport: object) -> tuple[int, int] | None:
    """
    The peer's user and group ids on a Unix socket (C{SO_PEERCRED}), or
    C{None} where there are none (a TCP connection, another platform).
    """
    get_handle = getattr(transport, "getHandle", None)
    option = getattr(socket, "SO_PEERCRED", None)
    if get_handle is None or option is None:
        return None
    handle = get_handle()
    if not isinstance(handle, socket.socket) or handle.family != socket.AF_UNIX:
        return None
    raw = handle.getsockopt(socket.SOL_SOCKET, option, _UCRED.size)
    _, uid, gid = _UCRED.unpack(raw)
    return uid, gid


def load_token(path: str) -> bytes:
    """
    The token in C{path} (surrounding white space, such as the final
    newline, is not part of it); L{SystemExit} if the file cannot be read
    or holds no token.
    """
    try:
        with open(path, "rb") as f:
            token = f.read().strip()
    except OSError as e:
        raise SystemExit(f"dbdriver: cannot read --auth-token-file {path}: {e}") from e
    if not token:
        raise SystemExit(f"dbdriver: --auth-token-file {path} is empty; not starting")
    return token


@attrs.define
class AccessPolicy:
    """
    The checks of one server: at connect (peer credentials) and at the
    first request (the token).
    """

    log = Logger()

    allow_uid: tuple[int, ...] = ()
    allow_gid: tuple[int, ...] = ()
    token: bytes | None = None

    def admit(self, transport: object) -> Unauthenticated | None:
        """
        Why a new connection is refused, or C{None} to serve it.  A peer is
        let in when its uid is in C{allow_uid} or its (primary) gid in
        C{allow_gid}; with neither given, anyone the socket's mode lets in.
        """
        if not (self.allow_uid or self.allow_gid):
            return None
        credentials = peer_credentials(transport)
        if credentials is None:
            return None  # TCP: the token (or TLS) is the gate there
        uid, gid = credentials
        if uid in self.allow_uid or gid in self.allow_gid:
            return None
        self.log.warn("refused a peer: uid {uid}, gid {gid}", uid=uid, gid=gid)
        return Unauthenticated(
            "this user may not connect (--allow-uid/--allow-gid)",
            {"uid": uid, "gid": gid},
        )

    def check_token(self, presented: str) -> bool:
        """
        Whether C{presented} is the token (compared in constant time).
        """
        if self.token is None:
            return True
        return hmac.compare_digest(presented.encode("utf-8"), self.token)


_SEPARATOR = re.compile(r"(?<!\\):")
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def _is_loopback(interface: str) -> bool:
    if interface in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(interface.strip("[]")).is_loopback
    except ValueError:
        return False  # "" (every interface), or a host name


def _exposed(spec: str) -> bool:
    """
    Whether a server endpoint string listens on a network without TLS:
    C{tcp:}/C{tcp6:} on an interface other than loopback, or a C{systemd:}
    inet socket (whose address is not known here).
    """
    parts = [p.replace("\\:", ":") for p in _SEPARATOR.split(spec)]
    kind, args = parts[0].strip().lower(), parts[1:]
    keywords = dict(a.split("=", 1) for a in args if "=" in a)
    positional = [a for a in args if "=" not in a]
    if kind in ("tcp", "tcp6"):
        default = "" if kind == "tcp" else "::"
        interface = keywords.get(
            "interface", positional[1] if len(positional) > 1 else default
        )
        return not _is_loopback(interface)
    if kind == "systemd":
        return keywords.get("domain", "").upper() in ("INET", "INET6")
    return False


def exposed_endpoints(listen: tuple[str, ...] | list[str]) -> list[str]:
    """
    The endpoint strings of C{listen} that would serve a network without
    TLS (refused at start-up without a token file, unless C{--insecure}).
    """
    return [spec for spec in listen if _exposed(spec)]
