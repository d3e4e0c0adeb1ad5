"""
L{dbdriver.requests.sqltext}: the one lexer of raw SQL, its lexicons, and
what is built on its tokens.
"""

from __future__ import annotations

import pytest

from dbdriver.drivers.mysql.dialect import LEXICON as MYSQL
from dbdriver.drivers.postgresql.dialect import LEXICON as POSTGRESQL
from dbdriver.exceptions import SQLError
from dbdriver.requests.sqltext import (
    MYSQL_SESSION,
    POSTGRESQL_SESSION,
    STANDARD,
    Lexicon,
    SessionRules,
    format_placeholders,
    leading_keyword,
    leading_words,
    reads_only,
    session_statement,
    strip_literals,
    tokens,
)

SAMPLES = [
    "SELECT 'a''?' AS \"b\"\"?\", $$ ' $$ -- c\n/* d /* e */ */ # f\n?;",
    "E'\\'' `x` /*! 1 */ /*M!5 ? */ -- ? %",
    "",
    "'open",
]


@pytest.mark.parametrize("lexicon", [STANDARD, POSTGRESQL, MYSQL])
@pytest.mark.parametrize("sql", SAMPLES)
def test_tokens_cover_the_text(lexicon: Lexicon, sql: str) -> None:
    assert "".join(t.text for t in tokens(sql, lexicon)) == sql


def test_kinds() -> None:
    kinds = [(t.kind, t.text) for t in tokens("SELECT 'x', ? ;", STANDARD)]
    assert kinds == [
        ("word", "SELECT"),
        ("space", " "),
        ("string", "'x'"),
        ("text", ","),
        ("space", " "),
        ("param", "?"),
        ("space", " "),
        ("semicolon", ";"),
    ]
    assert [t.kind for t in tokens("/* a /* b */ c */", POSTGRESQL)] == ["comment"]
    assert [t.kind for t in tokens("$q$ ' $q$", POSTGRESQL)] == ["dollar"]
    assert [t.kind for t in tokens("`a`", MYSQL)] == ["quoted"]
    assert next(tokens("`a`", STANDARD)).kind == "text"


def test_quotes_inside_dollar_quotes_and_comments() -> None:
    """
    A quote inside a dollar quote or a comment opens nothing: the C{?}
    after it is a placeholder.
    """
    assert format_placeholders("SELECT $$ ' $$, ?", POSTGRESQL) == (
        "SELECT $$ ' $$, %s",
        1,
    )
    assert format_placeholders("SELECT /* ' */ ?", POSTGRESQL) == (
        "SELECT /* ' */ %s",
        1,
    )


def test_one_statement() -> None:
    assert format_placeholders("SELECT 1; -- x", STANDARD, one_statement=True)
    with pytest.raises(SQLError, match="one statement"):
        format_placeholders("SELECT 1; SELECT 2", STANDARD, one_statement=True)
    assert format_placeholders("SELECT 1; SELECT 2", STANDARD)[1] == 0


def test_leading_words() -> None:
    assert leading_keyword(" ;-- x\n/* y */ commit") == "COMMIT"
    assert leading_keyword("'x' COMMIT") == ""
    assert leading_keyword("START_X") == "START"
    assert leading_words("START_X y", MYSQL) == ["START_X", "Y"]
    assert leading_words("/*!50000 COMMIT */", MYSQL, 1) == ["COMMIT"]
    assert leading_words("COMMIT2 x") == ["COMMIT"]


def test_strip_literals() -> None:
    assert strip_literals("a 'b' -- c\n\"d\"") == 'a  \n"d"'


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", True),
        ("  /* c */ values (1)", True),
        ("EXPLAIN QUERY PLAN SELECT 1", True),
        ("PRAGMA foreign_keys", True),
        ("PRAGMA table_info(t)", True),
        ("PRAGMA foreign_keys = OFF", False),
        ("WITH c AS (SELECT 1) SELECT * FROM c", True),
        ("WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c", False),
        ("INSERT INTO t VALUES ('SELECT')", False),
        ("-- only a comment", False),
    ],
)
def test_reads_only(sql: str, expected: bool) -> None:
    assert reads_only(sql) is expected


PG = (POSTGRESQL_SESSION, POSTGRESQL)
MY = (MYSQL_SESSION, MYSQL)


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SET search_path = x", PG, "SET"),
        ("/* x */ reset all", PG, "RESET"),
        ("CREATE TEMP TABLE t (x int)", PG, "CREATE TEMP"),
        (
            "SELECT set_config('a', 'b', false)",
            PG,
            "SET_CONFIG",
        ),
        (
            "SELECT 1 INTO TEMP t",
            PG,
            POSTGRESQL_SESSION.patterns[0],
        ),
        ("SELECT 'SET x' AS set_config_text", PG, None),
        ("SELECT $$ LISTEN $$", PG, None),
        ("CREATE TABLE t (x int)", PG, None),
        ("SET @a = 1", MY, "SET"),
        ("SELECT @a := 1", MY, ":="),
        ("SELECT 1 INTO @a", MY, r"\bINTO\s+@"),
        ("select get_lock('x', 1)", MY, "GET_LOCK"),
        ("SELECT ':=' # := ", MY, None),
        ("CREATE TABLE t (x int)", MY, None),
    ],
)
def test_session_statement(
    sql: str, dialect: tuple[SessionRules, Lexicon], expected: str | None
) -> None:
    assert session_statement(sql, *dialect) == expected
