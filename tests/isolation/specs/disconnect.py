"""
Disconnect mid-transaction: the session's writes vanish (its transaction
is rolled back), its lock is released, and the writer that waited for it
goes on, whether that writer is another transaction or a plain write.
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import begin, commit, disconnect, insert, outcomes, update

LEAVER = [
    ("b1", begin()),
    ("u1", update(1, 1)),
    ("i1", insert(3, 3)),
    ("d1", disconnect()),
]

TRANSACTION = Spec(
    name="disconnect-transaction",
    rows=[(1, 0)],
    sessions={
        "s1": LEAVER,
        "s2": [("b2", begin()), ("u2", update(1, 2)), ("c2", commit())],
    },
    options=("--busy-timeout=2",),
    permutations=[
        "b1 u1 i1 b2 u2 d1 c2",
        "b1 u1 b2 u2 i1 d1 c2",
        "b1 u1 i1 d1 b2 u2 c2",
        "b2 u2 b1 u1 i1 d1 c2",
    ],
    expected=outcomes(
        """
b1 u1 i1 b2 u2 d1 c2
    b1 u1:1 i1:3 b2 u2:waiting d1 u2:1 c2 => 1:2
b1 u1 b2 u2 i1 d1 c2
    b1 u1:1 b2 u2:waiting i1:3 d1 u2:1 c2 => 1:2
b1 u1 i1 d1 b2 u2 c2
    b1 u1:1 i1:3 d1 b2 u2:1 c2 => 1:2
b2 u2 b1 u1 i1 d1 c2
    [sqlite] b2 u2:1 b1 u1:waiting u1:busy i1:waiting i1:busy d1 c2 => 1:2
    [*] b2 u2:1 b1 u1:waiting u1:busy i1:3 d1 c2 => 1:2
"""
    ),
)

PLAIN = Spec(
    name="disconnect-plain-writer",
    rows=[(1, 0)],
    sessions={"s1": LEAVER, "s2": [("g2", update(1, 2))]},
    options=("--busy-timeout=2",),
    expected=outcomes(
        """
g2 b1 u1 i1 d1
    g2:1 b1 u1:1 i1:3 d1 => 1:2
b1 g2 u1 i1 d1
    b1 g2:1 u1:1 i1:3 d1 => 1:2
b1 u1 g2 i1 d1
    b1 u1:1 g2:waiting i1:3 d1 g2:1 => 1:2
b1 u1 i1 g2 d1
    b1 u1:1 i1:3 g2:waiting d1 g2:1 => 1:2
b1 u1 i1 d1 g2
    b1 u1:1 i1:3 d1 g2:1 => 1:2
"""
    ),
)

SPECS = [TRANSACTION, PLAIN]
