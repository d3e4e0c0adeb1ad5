"""
The write-lock idle timeout (PROTOCOL.md section 9), SQLite only: a
transaction takes the write lock at its first write, not at
C{begin_transaction} (an idle transaction that has not written is never
rolled back for it, and others write meanwhile without waiting); one that
holds the write lock idle longer than C{--write-lock-idle-timeout} (1 s
here) is rolled back, its writes vanish, a writer waiting for the lock goes
on, and its id then answers C{unknown_transaction}. PostgreSQL and MariaDB
lock rows, not the database: writers of other rows never wait, and nothing
is rolled back.
"""

from tests.isolation.runner import Spec
from tests.isolation.steps import begin, commit, outcomes, sleep, update

OPTIONS = ("--write-lock-idle-timeout=1", "--busy-timeout=3")
# Longer than the write-lock idle timeout, by a margin for the timer; and
# a lock handed on during it is held idle well under the timeout.
IDLE = 1.5

PLAIN = Spec(
    name="write-lock-idle-plain",
    rows=[(1, 0), (2, 0)],
    sessions={
        "s1": [
            ("b1", begin()),
            ("idle1", sleep(IDLE)),
            ("w1", update(1, 1)),
            ("idle2", sleep(IDLE)),
            ("c1", commit()),
        ],
        "s2": [("w2", update(2, 2))],
    },
    options=OPTIONS,
    permutations=[
        "w2 b1 idle1 w1 idle2 c1",
        "b1 idle1 w2 w1 idle2 c1",
        "b1 idle1 w1 w2 idle2 c1",
        "b1 idle1 w1 idle2 w2 c1",
    ],
    expected=outcomes(
        """
w2 b1 idle1 w1 idle2 c1
    [sqlite] w2:1 b1 idle1 w1:1 idle2 c1:unknown_transaction => 1:0,2:2
    [*] w2:1 b1 idle1 w1:1 idle2 c1 => 1:1,2:2
b1 idle1 w2 w1 idle2 c1
    [sqlite] b1 idle1 w2:1 w1:1 idle2 c1:unknown_transaction => 1:0,2:2
    [*] b1 idle1 w2:1 w1:1 idle2 c1 => 1:1,2:2
b1 idle1 w1 w2 idle2 c1
    [sqlite] b1 idle1 w1:1 w2:waiting idle2 w2:1 c1:unknown_transaction => 1:0,2:2
    [*] b1 idle1 w1:1 w2:1 idle2 c1 => 1:1,2:2
b1 idle1 w1 idle2 w2 c1
    [sqlite] b1 idle1 w1:1 idle2 w2:1 c1:unknown_transaction => 1:0,2:2
    [*] b1 idle1 w1:1 idle2 w2:1 c1 => 1:1,2:2
"""
    ),
)

TWO = Spec(
    name="write-lock-idle-two-transactions",
    rows=[(1, 0), (2, 0)],
    sessions={
        "s1": [
            ("b1", begin()),
            ("w1", update(1, 1)),
            ("idle1", sleep(IDLE)),
            ("c1", commit()),
        ],
        "s2": [("b2", begin()), ("w2", update(2, 2)), ("c2", commit())],
    },
    options=OPTIONS,
    permutations=[
        "b1 b2 w2 c2 w1 idle1 c1",
        "b1 b2 w1 w2 idle1 c2 c1",
        # s1 waits for s2's lock; s2 idles out, then s1 does.
        "b1 b2 w2 w1 idle1 c1 c2",
    ],
    expected=outcomes(
        """
b1 b2 w2 c2 w1 idle1 c1
    [sqlite] b1 b2 w2:1 c2 w1:1 idle1 c1:unknown_transaction => 1:0,2:2
    [*] b1 b2 w2:1 c2 w1:1 idle1 c1 => 1:1,2:2
b1 b2 w1 w2 idle1 c2 c1
    [sqlite] b1 b2 w1:1 w2:waiting idle1 w2:1 c2 c1:unknown_transaction => 1:0,2:2
    [*] b1 b2 w1:1 w2:1 idle1 c2 c1 => 1:1,2:2
b1 b2 w2 w1 idle1 c1 c2
    [sqlite] b1 b2 w2:1 w1:waiting w1:1 idle1 c1:unknown_transaction
        c2:unknown_transaction => 1:0,2:0
    [*] b1 b2 w2:1 w1:1 idle1 c1 c2 => 1:1,2:2
"""
    ),
)

SPECS = [PLAIN, TWO]
