"""
A transaction and a group commit touching the same row. Plain writes
(outside transactions) are group-committed by the driver's one writer: g2,
a plain update of the row that s1's transaction updates, waits for s1's
lock and completes after s1's commit (its value then wins); a plain insert
of another row (g3) waits too when the writer is busy: on SQLite whenever
s1 holds the write lock, on PostgreSQL and MariaDB only when it queues
behind g2 (the writer is one connection, and g2 holds it while it waits).
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import begin, commit, insert, outcomes, update

SPEC = Spec(
    name="group-commit",
    rows=[(1, 0)],
    sessions={
        "s1": [("b1", begin()), ("u1", update(1, 1)), ("c1", commit())],
        "s2": [("g2", update(1, 2))],
        "s3": [("g3", insert(3, 3))],
    },
    # A plain write may wait behind two others' steps.
    options=("--busy-timeout=2",),
    expected=outcomes(
        """
b1 u1 c1 g2 g3
    b1 u1:1 c1 g2:1 g3:3 => 1:2,3:3
b1 u1 c1 g3 g2
    b1 u1:1 c1 g3:3 g2:1 => 1:2,3:3
b1 u1 g2 c1 g3
    b1 u1:1 g2:waiting c1 g2:1 g3:3 => 1:2,3:3
b1 u1 g2 g3 c1
    b1 u1:1 g2:waiting g3:waiting c1 g2:1 g3:3 => 1:2,3:3
b1 u1 g3 c1 g2
    [sqlite] b1 u1:1 g3:waiting c1 g3:3 g2:1 => 1:2,3:3
    [*] b1 u1:1 g3:3 c1 g2:1 => 1:2,3:3
b1 u1 g3 g2 c1
    [sqlite] b1 u1:1 g3:waiting g2:waiting c1 g3:3 g2:1 => 1:2,3:3
    [*] b1 u1:1 g3:3 g2:waiting c1 g2:1 => 1:2,3:3
b1 g2 u1 c1 g3
    b1 g2:1 u1:1 c1 g3:3 => 1:1,3:3
b1 g2 u1 g3 c1
    [sqlite] b1 g2:1 u1:1 g3:waiting c1 g3:3 => 1:1,3:3
    [*] b1 g2:1 u1:1 g3:3 c1 => 1:1,3:3
b1 g2 g3 u1 c1
    b1 g2:1 g3:3 u1:1 c1 => 1:1,3:3
b1 g3 u1 c1 g2
    b1 g3:3 u1:1 c1 g2:1 => 1:2,3:3
b1 g3 u1 g2 c1
    b1 g3:3 u1:1 g2:waiting c1 g2:1 => 1:2,3:3
b1 g3 g2 u1 c1
    b1 g3:3 g2:1 u1:1 c1 => 1:1,3:3
g2 b1 u1 c1 g3
    g2:1 b1 u1:1 c1 g3:3 => 1:1,3:3
g2 b1 u1 g3 c1
    [sqlite] g2:1 b1 u1:1 g3:waiting c1 g3:3 => 1:1,3:3
    [*] g2:1 b1 u1:1 g3:3 c1 => 1:1,3:3
g2 b1 g3 u1 c1
    g2:1 b1 g3:3 u1:1 c1 => 1:1,3:3
g2 g3 b1 u1 c1
    g2:1 g3:3 b1 u1:1 c1 => 1:1,3:3
g3 b1 u1 c1 g2
    g3:3 b1 u1:1 c1 g2:1 => 1:2,3:3
g3 b1 u1 g2 c1
    g3:3 b1 u1:1 g2:waiting c1 g2:1 => 1:2,3:3
g3 b1 g2 u1 c1
    g3:3 b1 g2:1 u1:1 c1 => 1:1,3:3
g3 g2 b1 u1 c1
    g3:3 g2:1 b1 u1:1 c1 => 1:1,3:3
"""
    ),
)

SPECS = [SPEC]
