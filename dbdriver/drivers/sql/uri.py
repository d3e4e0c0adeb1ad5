"""
The one reader of C{--database} values, and the one mask of their
passwords.

A C{--database} value is a SQLite file (C{PATH}, C{sqlite:PATH} or
C{sqlite://PATH}) or a server URI (C{postgresql://}, C{postgres://},
C{mysql://}, C{mariadb://}: C{user:password@host:port/database?query}).
L{backend_of} tells which backend it asks for from its scheme alone;
L{parse_database} reads it into a L{DatabaseURI}; L{mask_password} and
L{hide_password} keep its password out of logs and messages.  (A server's
own client library may read more of its URI than this does: libpq takes
several hosts, for one.)
"""

from __future__ import annotations

import re
import urllib.parse

from attrs import frozen

__all__ = [
    "DatabaseURI",
    "UnknownScheme",
    "backend_of",
    "hide_password",
    "mask_password",
    "parse_database",
]

#: A server URI's scheme: the backend it names.
SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}

_PASSWORD_PARAMETER = re.compile(r"(?i)(^|&)(password=)[^&]*")


class UnknownScheme(ValueError):
    """
    The value is a URI of a scheme no backend serves.
    """


@frozen
class DatabaseURI:
    """
    A C{--database} value, read.

    @ivar backend: C{"sqlite"}, C{"postgresql"} or C{"mysql"}.
    @ivar scheme: as written (C{""} for a plain SQLite path).
    @ivar user: the user name, decoded, or C{None}.
    @ivar password: the password, decoded, or C{None}.
    @ivar host: the host name (lower case), or C{None}.
    @ivar port: the port, or C{None}.
    @ivar database: the database's name; for SQLite, its file.
    @ivar query: the query's parameters in order, decoded (blank ones too).
    """

    backend: str
    scheme: str = ""
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str = ""
    query: tuple[tuple[str, str], ...] = ()


def backend_of(database: str) -> str:
    """
    The backend a C{--database} value asks for, from its scheme.

    @raise UnknownScheme: a URI of another scheme.
    """
    scheme, sep, _ = database.partition("://")
    if sep and scheme in SCHEMES:
        return SCHEMES[scheme]
    if sep and not database.startswith("sqlite:"):
        raise UnknownScheme(
            f"unknown database URI scheme in {scheme!r}: "
            "use a SQLite path, sqlite:PATH, postgresql://... or mysql://..."
        )
    return "sqlite"


def parse_database(database: str) -> DatabaseURI:
    """
    Read a C{--database} value.

    @raise UnknownScheme: a URI of a scheme no backend serves.
    @raise ValueError: a server URI that cannot be read (its port is not
        a number, say).
    """
    backend = backend_of(database)
    if backend == "sqlite":
        if not database.startswith("sqlite:"):
            return DatabaseURI(backend, database=database)
        path = database[len("sqlite:") :]
        return DatabaseURI(backend, "sqlite", database=path.removeprefix("//"))
    parts = urllib.parse.urlsplit(database)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the URI's port is not a number") from None
    return DatabaseURI(
        backend,
        database.partition("://")[0],
        user=_decoded(parts.username),
        password=_decoded(parts.password),
        host=parts.hostname,
        port=port,
        database=urllib.parse.unquote(parts.path.lstrip("/")),
        query=tuple(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
    )


def _decoded(text: str | None) -> str | None:
    return None if text is None else urllib.parse.unquote(text)


def mask_password(database: str) -> str:
    """
    A C{--database} value as logs and messages may show it: the password of
    a server URI (C{user:password@}, or a C{password=} query parameter)
    replaced by C{***}.
    """
    if "://" not in database:
        return database
    parts = urllib.parse.urlsplit(database)
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = _PASSWORD_PARAMETER.sub(r"\1\2***", parts.query)
    if (netloc, query) == (parts.netloc, parts.query):
        return database
    masked = f"{parts.scheme}://{netloc}{parts.path}"
    return masked + (f"?{query}" if query else "")


def hide_password(message: str, database: str) -> str:
    """
    C{message} (which may quote C{database}) with the password of
    C{database}, as written and decoded, replaced by C{***}.
    """
    try:
        parts = urllib.parse.urlsplit(database)
        written = [parts.password] + [
            value
            for key, value in urllib.parse.parse_qsl(
                parts.query, keep_blank_values=True
            )
            if key.lower() == "password"
        ]
    except ValueError:
        return message
    for password in filter(None, written):
        for form in {password, urllib.parse.unquote(password)}:
            message = message.replace(form, "***")
    return message
