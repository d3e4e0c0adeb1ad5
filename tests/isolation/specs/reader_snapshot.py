"""
A reader's snapshot during a commit. Outside a transaction every read sees
what was committed when it ran, never a write still uncommitted. Inside a
transaction the backends rightly differ: PostgreSQL and MariaDB run READ
COMMITTED (each read sees the latest commit), SQLite reads one snapshot
from the transaction's first read on (WAL). A reader never waits for a
writer, and (SQLite: the write lock is taken at the first write) a
reading transaction never makes a writer wait.
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import begin, commit, outcomes, read, update

WRITER = [("b1", begin()), ("u1", update(1, 1)), ("c1", commit())]

OUTSIDE = Spec(
    name="reader-outside",
    rows=[(1, 0)],
    sessions={"s1": WRITER, "s2": [("r2a", read()), ("r2b", read())]},
    expected=outcomes(
        """
b1 u1 c1 r2a r2b
    b1 u1:1 c1 r2a:[1] r2b:[1] => 1:1
b1 u1 r2a c1 r2b
    b1 u1:1 r2a:[0] c1 r2b:[1] => 1:1
b1 u1 r2a r2b c1
    b1 u1:1 r2a:[0] r2b:[0] c1 => 1:1
b1 r2a u1 c1 r2b
    b1 r2a:[0] u1:1 c1 r2b:[1] => 1:1
b1 r2a u1 r2b c1
    b1 r2a:[0] u1:1 r2b:[0] c1 => 1:1
b1 r2a r2b u1 c1
    b1 r2a:[0] r2b:[0] u1:1 c1 => 1:1
r2a b1 u1 c1 r2b
    r2a:[0] b1 u1:1 c1 r2b:[1] => 1:1
r2a b1 u1 r2b c1
    r2a:[0] b1 u1:1 r2b:[0] c1 => 1:1
r2a b1 r2b u1 c1
    r2a:[0] b1 r2b:[0] u1:1 c1 => 1:1
r2a r2b b1 u1 c1
    r2a:[0] r2b:[0] b1 u1:1 c1 => 1:1
"""
    ),
)

INSIDE = Spec(
    name="reader-inside",
    rows=[(1, 0)],
    sessions={
        "s1": WRITER,
        "s2": [("b2", begin()), ("r2a", read()), ("r2b", read()), ("c2", commit())],
    },
    permutations=[
        "b2 r2a b1 u1 c1 r2b c2",
        "b1 u1 b2 r2a c1 r2b c2",
        "b2 b1 u1 c1 r2a r2b c2",
        "b2 r2a b1 u1 r2b c1 c2",
        "b2 r2a r2b b1 u1 c1 c2",
        "b1 u1 c1 b2 r2a r2b c2",
    ],
    expected=outcomes(
        """
b2 r2a b1 u1 c1 r2b c2
    [sqlite] b2 r2a:[0] b1 u1:1 c1 r2b:[0] c2 => 1:1
    [*] b2 r2a:[0] b1 u1:1 c1 r2b:[1] c2 => 1:1
b1 u1 b2 r2a c1 r2b c2
    [sqlite] b1 u1:1 b2 r2a:[0] c1 r2b:[0] c2 => 1:1
    [*] b1 u1:1 b2 r2a:[0] c1 r2b:[1] c2 => 1:1
b2 b1 u1 c1 r2a r2b c2
    b2 b1 u1:1 c1 r2a:[1] r2b:[1] c2 => 1:1
b2 r2a b1 u1 r2b c1 c2
    b2 r2a:[0] b1 u1:1 r2b:[0] c1 c2 => 1:1
b2 r2a r2b b1 u1 c1 c2
    b2 r2a:[0] r2b:[0] b1 u1:1 c1 c2 => 1:1
b1 u1 c1 b2 r2a r2b c2
    b1 u1:1 c1 b2 r2a:[1] r2b:[1] c2 => 1:1
"""
    ),
)

SPECS = [OUTSIDE, INSIDE]
