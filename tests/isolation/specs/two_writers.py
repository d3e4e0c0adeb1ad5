"""
Two writers of one row: two transactions update the same row, or insert
the same key. The second writer waits for the first's lock (PostgreSQL and
MariaDB InnoDB: the row or key lock; SQLite: the database's one write lock,
taken at the transaction's first write) until the first ends; a writer whose
session must go on first gives up at the busy timeout (C{busy}). An insert
that waited for a committed insert of its key is C{constraint_violation};
one that waited for a rolled-back one succeeds. Every backend agrees.
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import (
    begin,
    commit,
    insert,
    outcomes,
    rollback,
    sleep,
    update,
)

UPDATE = Spec(
    name="two-writers-update",
    rows=[(1, 0)],
    sessions={
        "s1": [("b1", begin()), ("u1", update(1, 1)), ("c1", commit())],
        "s2": [("b2", begin()), ("u2", update(1, 2)), ("c2", commit())],
    },
    expected=outcomes(
        """
b1 u1 c1 b2 u2 c2
    b1 u1:1 c1 b2 u2:1 c2 => 1:2
b1 u1 b2 c1 u2 c2
    b1 u1:1 b2 c1 u2:1 c2 => 1:2
b1 u1 b2 u2 c1 c2
    b1 u1:1 b2 u2:waiting c1 u2:1 c2 => 1:2
b1 u1 b2 u2 c2 c1
    b1 u1:1 b2 u2:waiting u2:busy c2 c1 => 1:1
b1 b2 u1 c1 u2 c2
    b1 b2 u1:1 c1 u2:1 c2 => 1:2
b1 b2 u1 u2 c1 c2
    b1 b2 u1:1 u2:waiting c1 u2:1 c2 => 1:2
b1 b2 u1 u2 c2 c1
    b1 b2 u1:1 u2:waiting u2:busy c2 c1 => 1:1
b1 b2 u2 u1 c1 c2
    b1 b2 u2:1 u1:waiting u1:busy c1 c2 => 1:2
b1 b2 u2 u1 c2 c1
    b1 b2 u2:1 u1:waiting c2 u1:1 c1 => 1:1
b1 b2 u2 c2 u1 c1
    b1 b2 u2:1 c2 u1:1 c1 => 1:1
b2 b1 u1 c1 u2 c2
    b2 b1 u1:1 c1 u2:1 c2 => 1:2
b2 b1 u1 u2 c1 c2
    b2 b1 u1:1 u2:waiting c1 u2:1 c2 => 1:2
b2 b1 u1 u2 c2 c1
    b2 b1 u1:1 u2:waiting u2:busy c2 c1 => 1:1
b2 b1 u2 u1 c1 c2
    b2 b1 u2:1 u1:waiting u1:busy c1 c2 => 1:2
b2 b1 u2 u1 c2 c1
    b2 b1 u2:1 u1:waiting c2 u1:1 c1 => 1:1
b2 b1 u2 c2 u1 c1
    b2 b1 u2:1 c2 u1:1 c1 => 1:1
b2 u2 b1 u1 c1 c2
    b2 u2:1 b1 u1:waiting u1:busy c1 c2 => 1:2
b2 u2 b1 u1 c2 c1
    b2 u2:1 b1 u1:waiting c2 u1:1 c1 => 1:1
b2 u2 b1 c2 u1 c1
    b2 u2:1 b1 c2 u1:1 c1 => 1:1
b2 u2 c2 b1 u1 c1
    b2 u2:1 c2 b1 u1:1 c1 => 1:1
"""
    ),
)

INSERT = Spec(
    name="two-writers-insert",
    rows=[(1, 0)],
    sessions={
        "s1": [("b1", begin()), ("i1", insert(2, 1)), ("c1", commit())],
        "s2": [("b2", begin()), ("i2", insert(2, 2)), ("c2", commit())],
    },
    permutations=[
        "b1 i1 c1 b2 i2 c2",
        "b1 i1 b2 i2 c1 c2",
        "b1 b2 i2 i1 c2 c1",
        "b1 i1 b2 i2 c2 c1",
        "b2 i2 c2 b1 i1 c1",
    ],
    expected=outcomes(
        """
b1 i1 c1 b2 i2 c2
    b1 i1:2 c1 b2 i2:constraint_violation c2 => 1:0,2:1
b1 i1 b2 i2 c1 c2
    b1 i1:2 b2 i2:waiting c1 i2:constraint_violation c2 => 1:0,2:1
b1 i1 b2 i2 c2 c1
    b1 i1:2 b2 i2:waiting i2:busy c2 c1 => 1:0,2:1
b1 b2 i2 i1 c2 c1
    b1 b2 i2:2 i1:waiting c2 i1:constraint_violation c1 => 1:0,2:2
b2 i2 c2 b1 i1 c1
    b2 i2:2 c2 b1 i1:constraint_violation c1 => 1:0,2:2
"""
    ),
)

INSERT_ROLLBACK = Spec(
    name="two-writers-insert-rollback",
    rows=[(1, 0)],
    sessions={
        "s1": [("b1", begin()), ("i1", insert(2, 1)), ("r1", rollback())],
        "s2": [("b2", begin()), ("i2", insert(2, 2)), ("c2", commit())],
    },
    permutations=[
        "b1 i1 r1 b2 i2 c2",
        "b1 i1 b2 i2 r1 c2",
        "b1 i1 b2 i2 c2 r1",
        "b2 b1 i2 i1 r1 c2",
    ],
    expected=outcomes(
        """
b1 i1 r1 b2 i2 c2
    b1 i1:2 r1 b2 i2:2 c2 => 1:0,2:2
b1 i1 b2 i2 r1 c2
    b1 i1:2 b2 i2:waiting r1 i2:2 c2 => 1:0,2:2
b1 i1 b2 i2 c2 r1
    b1 i1:2 b2 i2:waiting i2:busy c2 r1 => 1:0
b2 b1 i2 i1 r1 c2
    b2 b1 i2:2 i1:waiting i1:busy r1 c2 => 1:0,2:2
"""
    ),
)

#: A writer that waits past its own request deadline: C{timeout}, and its
#: transaction ends (section 5), so its commit is C{unknown_transaction}.
DEADLINE = Spec(
    name="two-writers-deadline",
    rows=[(1, 0)],
    sessions={
        "s1": [("b1", begin()), ("u1", update(1, 1)), ("c1", commit())],
        "s2": [("b2", begin()), ("u2", update(1, 2, timeout=0.6)), ("c2", commit())],
    },
    permutations=["b1 u1 b2 u2 c2 c1", "b2 b1 u1 u2 c2 c1", "b1 u1 c1 b2 u2 c2"],
    options=("--busy-timeout=3",),
    expected=outcomes(
        """
b1 u1 b2 u2 c2 c1
    b1 u1:1 b2 u2:waiting u2:timeout c2:unknown_transaction c1 => 1:1
b2 b1 u1 u2 c2 c1
    b2 b1 u1:1 u2:waiting u2:timeout c2:unknown_transaction c1 => 1:1
b1 u1 c1 b2 u2 c2
    b1 u1:1 c1 b2 u2:1 c2 => 1:2
"""
    ),
)

#: The deadline cuts the wait short while the holder stays idle (SQLite:
#: C{sqlite3_interrupt} does not end a busy-handler wait by itself).
DEADLINE_IDLE = Spec(
    name="two-writers-deadline-idle",
    rows=[(1, 0)],
    sessions={
        "s1": [
            ("b1", begin()),
            ("u1", update(1, 1)),
            ("z1", sleep(1.0)),
            ("c1", commit()),
        ],
        "s2": [("b2", begin()), ("u2", update(1, 2, timeout=0.6)), ("c2", commit())],
    },
    permutations=["b1 u1 b2 u2 z1 c1 c2"],
    options=("--busy-timeout=3",),
    expected=outcomes(
        """
b1 u1 b2 u2 z1 c1 c2
    b1 u1:1 b2 u2:waiting z1 u2:timeout c1 c2:unknown_transaction => 1:1
"""
    ),
)

SPECS = [UPDATE, INSERT, INSERT_ROLLBACK, DEADLINE, DEADLINE_IDLE]
