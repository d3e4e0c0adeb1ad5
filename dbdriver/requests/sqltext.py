"""
The one lexer of raw SQL text.

L{tokens} cuts a statement into L{Token}s — string literals, quoted
identifiers, comments, dollar quotes, C{?} placeholders, C{%} signs, words,
semicolons, white space and the text between them — as one dialect reads
it; a L{Lexicon} holds what differs between dialects (L{STANDARD} is
SQLite's and the request checks'; the server backends define theirs next
to their dialects).  On the tokens: the first keywords of a statement
(L{leading_words}, L{leading_keyword}), C{?} placeholders as the C{format}
paramstyle's C{%s} (L{format_placeholders}), the text without its
literals and comments (L{strip_literals}), whether a statement only reads
(L{reads_only}) and whether it changes the session for later statements
(L{session_statement}, under a dialect's L{SessionRules}: the server
backends' are here, with the lexer that applies them).

Nothing here knows a database: the request checks use it, and so do the
drivers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from attrs import frozen

from dbdriver.exceptions import SQLError

__all__ = [
    "MYSQL_SESSION",
    "POSTGRESQL_SESSION",
    "STANDARD",
    "Lexicon",
    "SessionRules",
    "Token",
    "format_placeholders",
    "leading_keyword",
    "leading_words",
    "reads_only",
    "session_statement",
    "strip_literals",
    "tokens",
]

Kind = Literal[
    "string",  # '...' (and E'...' where the dialect has escape strings)
    "quoted",  # a quoted identifier
    "comment",  # -- ..., /* ... */, # ...
    "dollar",  # $tag$ ... $tag$
    "hint",  # the opening of an executable comment (/*! or /*M!, digits)
    "param",  # ?
    "percent",  # %
    "word",
    "semicolon",
    "space",
    "text",  # anything else, between the tokens above
]


class Token(NamedTuple):
    """
    One piece of a statement: its kind and its text, exactly as written
    (the texts of a statement's tokens, joined, are the statement).
    """

    kind: Kind
    text: str


@frozen
class Lexicon:
    """
    How a dialect reads SQL text (the defaults: standard SQL, as SQLite).

    @ivar identifier_quotes: the characters that quote identifiers.
    @ivar escape_strings: C{E'...'} strings take backslash escapes.
    @ivar dollar_quotes: C{$tag$ ... $tag$} strings (words may hold C{$}).
    @ivar nested_comments: C{/* ... */} comments nest.
    @ivar hash_comments: C{#} starts a comment.
    @ivar dash_space: C{--} starts a comment only before white space.
    @ivar executable_comments: C{/*! ... */} and C{/*M! ... */} hold code.
    @ivar keyword: what of a leading word is the keyword (a regex).
    """

    identifier_quotes: str = '"'
    escape_strings: bool = False
    dollar_quotes: bool = False
    nested_comments: bool = False
    hash_comments: bool = False
    dash_space: bool = False
    executable_comments: bool = False
    keyword: str = "[A-Za-z]+"


STANDARD = Lexicon()


@functools.cache
def _pattern(lexicon: Lexicon) -> re.Pattern[str]:
    parts = []
    if lexicon.escape_strings:
        parts.append(r"(?P<estring>[eE]'(?:\\.|''|[^'\\])*(?:'|\Z))")
    parts.append(r"(?P<string>'(?:''|[^'])*(?:'|\Z))")
    for n, quote in enumerate(lexicon.identifier_quotes):
        q = re.escape(quote)
        parts.append(rf"(?P<quoted{n}>{q}(?:{q}{q}|[^{q}])*(?:{q}|\Z))")
    dash = r"--(?=\s|$)" if lexicon.dash_space else "--"
    parts.append(rf"(?P<line>{dash}[^\n]*)")
    if lexicon.hash_comments:
        parts.append(r"(?P<hash>\#[^\n]*)")
    if lexicon.executable_comments:
        parts.append(r"(?P<hint>/\*M?!\d*)")
    if lexicon.nested_comments:
        parts.append(r"(?P<nested>/\*)")
    else:
        parts.append(r"(?P<block>/\*[\s\S]*?(?:\*/|\Z))")
    word = r"[^\W\d]\w*"
    if lexicon.dollar_quotes:
        parts.append(r"(?P<dollar>\$(?:[^\W\d]\w*)?\$)")
        word = r"[^\W\d][\w$]*"
    parts.append(rf"(?P<word>{word})")
    parts.append(r"(?P<param>\?)|(?P<percent>%)|(?P<semicolon>;)|(?P<space>\s+)")
    return re.compile("|".join(parts))


_KINDS: dict[str, Kind] = {
    "estring": "string",
    "string": "string",
    "line": "comment",
    "hash": "comment",
    "block": "comment",
    "nested": "comment",
    "hint": "hint",
    "dollar": "dollar",
    "word": "word",
    "param": "param",
    "percent": "percent",
    "semicolon": "semicolon",
    "space": "space",
}


def _nested_end(sql: str, start: int) -> int:
    """
    Where the nested block comment opened at C{start} ends.
    """
    depth = 0
    i = start
    while i < len(sql):
        pair = sql[i : i + 2]
        if pair == "/*":
            depth += 1
            i += 2
        elif pair == "*/":
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(sql)


def tokens(sql: str, lexicon: Lexicon = STANDARD) -> Iterator[Token]:
    """
    The tokens of C{sql} as C{lexicon}'s dialect reads it; an unterminated
    literal, quoted identifier or comment runs to the end.
    """
    pattern = _pattern(lexicon)
    position = 0
    while True:
        match = pattern.search(sql, position)
        if match is None:
            break
        start, end = match.span()
        if start > position:
            yield Token("text", sql[position:start])
        group = match.lastgroup or ""
        if group == "nested":
            end = _nested_end(sql, start)
        elif group == "dollar":
            close = sql.find(match.group(), end)
            end = len(sql) if close < 0 else close + len(match.group())
        kind = "quoted" if group.startswith("quoted") else _KINDS[group]
        yield Token(kind, sql[start:end])
        position = end
    if position < len(sql):
        yield Token("text", sql[position:])


_SKIPPED = frozenset({"space", "semicolon", "comment", "hint"})


def leading_words(sql: str, lexicon: Lexicon = STANDARD, count: int = 2) -> list[str]:
    """
    The first C{count} keywords of a statement, upper case, after white
    space, semicolons and comments (the code of executable comments counts).
    """
    keyword = re.compile(lexicon.keyword)
    words: list[str] = []
    for token in tokens(sql, lexicon):
        if len(words) >= count:
            break
        if token.kind in _SKIPPED:
            continue
        match = keyword.match(token.text) if token.kind == "word" else None
        if match is None:
            break
        words.append(match.group(0).upper())
        if match.end() < len(token.text):
            break
    return words


def leading_keyword(sql: str, lexicon: Lexicon = STANDARD) -> str:
    """
    The first keyword of a statement, upper case, or C{""}.
    """
    words = leading_words(sql, lexicon, 1)
    return words[0] if words else ""


def format_placeholders(
    sql: str, lexicon: Lexicon, *, one_statement: bool = False
) -> tuple[str, int]:
    """
    Raw SQL with C{?} placeholders as the C{format} paramstyle takes it,
    and how many there are: each C{?} outside literals, quoted identifiers
    and comments becomes C{%s}, and every C{%} (a driver that interpolates
    with C{%} reads them anywhere) becomes C{%%}.

    @param one_statement: refuse text after a top-level C{;} (other than
        white space, semicolons and comments).
    @raise SQLError: C{one_statement}, and the text holds more than one.
    """
    if not one_statement and "?" not in sql and "%" not in sql:
        return sql, 0
    out: list[str] = []
    count = 0
    ended = False
    for kind, text in tokens(sql, lexicon):
        if ended and kind not in ("space", "comment", "semicolon"):
            raise SQLError("execute takes one statement at a time")
        if kind == "param":
            count += 1
            out.append("%s")
        else:
            out.append(text.replace("%", "%%"))
        ended = one_statement and (ended or kind == "semicolon")
    return "".join(out), count


def strip_literals(sql: str, lexicon: Lexicon = STANDARD) -> str:
    """
    The SQL with its string literals and comments taken out.
    """
    return "".join(
        text for kind, text in tokens(sql, lexicon) if kind not in ("string", "comment")
    )


#: The first keywords of statements that only read.
_READING = frozenset({"SELECT", "VALUES", "EXPLAIN", "SHOW", "TABLE", "DESCRIBE"})
_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE"})


def _words(sql: str, lexicon: Lexicon) -> list[str]:
    return [t.text.upper() for t in tokens(sql, lexicon) if t.kind == "word"]


def reads_only(sql: str, lexicon: Lexicon = STANDARD) -> bool:
    """
    Whether a statement only reads, as far as its words tell: it starts
    with C{SELECT}, C{VALUES}, C{EXPLAIN}, ... (or C{WITH}, and writes
    nowhere), or it is a C{PRAGMA} that sets nothing.  (When in doubt,
    C{False}.)
    """
    words = _words(sql, lexicon)
    if not words:
        return False
    if words[0] == "PRAGMA":
        return "=" not in strip_literals(sql, lexicon)
    if words[0] == "WITH":
        return _WRITING.isdisjoint(words)
    return words[0] in _READING


@frozen
class SessionRules:
    """
    How a dialect's statements change the session for later ones (what
    raw SQL may not do without C{--allow-session-sql}).

    @ivar leading: statements by their first keywords (a tuple of one or
        two keywords, upper case).
    @ivar words: keywords or function names that, anywhere outside
        literals, change the session.
    @ivar patterns: regexes (case-insensitive) searched in the text without
        its literals and comments.
    """

    leading: frozenset[tuple[str, ...]]
    words: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()


def _statements(*texts: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(text.split()) for text in texts)


#: PostgreSQL: settings, listeners, prepared statements, temporary objects,
#: session locks and cursors that outlive their statement.
POSTGRESQL_SESSION = SessionRules(
    leading=_statements(
        "SET",
        "RESET",
        "DISCARD",
        "LISTEN",
        "UNLISTEN",
        "PREPARE",
        "DEALLOCATE",
        "DECLARE",
        "LOAD",
        "CREATE TEMP",
        "CREATE TEMPORARY",
        "CREATE LOCAL",
        "CREATE GLOBAL",
    ),
    words=frozenset(
        {
            "SET_CONFIG",
            "PG_ADVISORY_LOCK",
            "PG_ADVISORY_LOCK_SHARED",
            "PG_TRY_ADVISORY_LOCK",
            "PG_TRY_ADVISORY_LOCK_SHARED",
            "DBLINK_CONNECT",
        }
    ),
    patterns=(r"\bINTO\s+(?:TEMP|TEMPORARY|UNLOGGED)\b",),
)

#: MySQL/MariaDB: variables (user ones included), the default database,
#: table locks, prepared statements, temporary tables, named locks.
MYSQL_SESSION = SessionRules(
    leading=_statements(
        "SET",
        "USE",
        "LOCK",
        "UNLOCK",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "HANDLER",
        "CREATE TEMPORARY",
        "DROP TEMPORARY",
    ),
    words=frozenset({"GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS"}),
    patterns=(r":=", r"\bINTO\s+@"),
)


def session_statement(sql: str, rules: SessionRules, lexicon: Lexicon) -> str | None:
    """
    What in C{sql} changes the session for later statements under
    C{rules} (a short description), or C{None}.
    """
    words = leading_words(sql, lexicon, 2)
    for size in (1, 2):
        if tuple(words[:size]) in rules.leading and len(words) >= size:
            return " ".join(words[:size])
    found = rules.words.intersection(_words(sql, lexicon))
    if found:
        return min(found)
    stripped = strip_literals(sql, lexicon)
    for pattern in rules.patterns:
        if re.search(pattern, stripped, re.IGNORECASE):
            return pattern
    return None
