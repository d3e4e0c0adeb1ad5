"""
Read-your-writes inside a transaction: s1 reads its own uncommitted update
(r1), and so does a C{transaction} batch (t2: an update of another row and
a read, one round trip); no one else sees s1's write before its commit
(r2). SQLite has one write lock: the batch waits for s1's commit and then
sees it; PostgreSQL and MariaDB lock rows: the batch runs at once and sees
what is committed. s1's read sees the batch's commit where READ COMMITTED
(PostgreSQL, MariaDB) or its snapshot (SQLite, from its first write) allows.
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import batch, begin, commit, outcomes, read, update

SPEC = Spec(
    name="read-your-writes",
    rows=[(1, 0), (2, 0)],
    sessions={
        "s1": [("b1", begin()), ("u1", update(1, 1)), ("r1", read()), ("c1", commit())],
        "s2": [("r2", read()), ("t2", batch(update(2, 20), read()))],
    },
    # The batch may wait behind two of s1's steps.
    options=("--busy-timeout=2",),
    expected=outcomes(
        """
b1 u1 r1 c1 r2 t2
    b1 u1:1 r1:[1,0] c1 r2:[1,0] t2:[1,[1,20]] => 1:1,2:20
b1 u1 r1 r2 c1 t2
    b1 u1:1 r1:[1,0] r2:[0,0] c1 t2:[1,[1,20]] => 1:1,2:20
b1 u1 r1 r2 t2 c1
    [sqlite] b1 u1:1 r1:[1,0] r2:[0,0] t2:waiting c1 t2:[1,[1,20]] => 1:1,2:20
    [*] b1 u1:1 r1:[1,0] r2:[0,0] t2:[1,[0,20]] c1 => 1:1,2:20
b1 u1 r2 r1 c1 t2
    b1 u1:1 r2:[0,0] r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
b1 u1 r2 r1 t2 c1
    [sqlite] b1 u1:1 r2:[0,0] r1:[1,0] t2:waiting c1 t2:[1,[1,20]] => 1:1,2:20
    [*] b1 u1:1 r2:[0,0] r1:[1,0] t2:[1,[0,20]] c1 => 1:1,2:20
b1 u1 r2 t2 r1 c1
    [sqlite] b1 u1:1 r2:[0,0] t2:waiting r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
    [*] b1 u1:1 r2:[0,0] t2:[1,[0,20]] r1:[1,20] c1 => 1:1,2:20
b1 r2 u1 r1 c1 t2
    b1 r2:[0,0] u1:1 r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
b1 r2 u1 r1 t2 c1
    [sqlite] b1 r2:[0,0] u1:1 r1:[1,0] t2:waiting c1 t2:[1,[1,20]] => 1:1,2:20
    [*] b1 r2:[0,0] u1:1 r1:[1,0] t2:[1,[0,20]] c1 => 1:1,2:20
b1 r2 u1 t2 r1 c1
    [sqlite] b1 r2:[0,0] u1:1 t2:waiting r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
    [*] b1 r2:[0,0] u1:1 t2:[1,[0,20]] r1:[1,20] c1 => 1:1,2:20
b1 r2 t2 u1 r1 c1
    b1 r2:[0,0] t2:[1,[0,20]] u1:1 r1:[1,20] c1 => 1:1,2:20
r2 b1 u1 r1 c1 t2
    r2:[0,0] b1 u1:1 r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
r2 b1 u1 r1 t2 c1
    [sqlite] r2:[0,0] b1 u1:1 r1:[1,0] t2:waiting c1 t2:[1,[1,20]] => 1:1,2:20
    [*] r2:[0,0] b1 u1:1 r1:[1,0] t2:[1,[0,20]] c1 => 1:1,2:20
r2 b1 u1 t2 r1 c1
    [sqlite] r2:[0,0] b1 u1:1 t2:waiting r1:[1,0] c1 t2:[1,[1,20]] => 1:1,2:20
    [*] r2:[0,0] b1 u1:1 t2:[1,[0,20]] r1:[1,20] c1 => 1:1,2:20
r2 b1 t2 u1 r1 c1
    r2:[0,0] b1 t2:[1,[0,20]] u1:1 r1:[1,20] c1 => 1:1,2:20
r2 t2 b1 u1 r1 c1
    r2:[0,0] t2:[1,[0,20]] b1 u1:1 r1:[1,20] c1 => 1:1,2:20
"""
    ),
)

SPECS = [SPEC]
