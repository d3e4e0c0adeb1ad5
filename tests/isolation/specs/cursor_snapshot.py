"""
A cursor's snapshot during writes: a cursor opened outside a transaction
reads one snapshot, the one of its C{open_cursor}, however the table
changes and commits before its later C{fetch}es (C{+}: more rows to come).
The cursor holds no lock: the writer never waits for it.
"""

from tests.isolation.runner import Spec, interleavings
from tests.isolation.steps import begin, commit, fetch, open_cursor, update

CURSOR = [("o1", open_cursor()), ("f1a", fetch(1)), ("f1b", fetch(10))]
WRITER = [("b2", begin()), ("u2", update(2, 20)), ("c2", commit())]


def _outcome(permutation: list[str]) -> str:
    # What each step answers is fixed; the cursor sees row 2's new value
    # only if it was opened after the commit.
    seen = "20" if permutation.index("o1") > permutation.index("c2") else "0"
    events = {"o1": "o1", "f1a": "f1a:[0]+", "f1b": f"f1b:[{seen}]"}
    events.update({"b2": "b2", "u2": "u2:1", "c2": "c2"})
    return " ".join(events[n] for n in permutation) + " => 1:0,2:20"


SPEC = Spec(
    name="cursor-snapshot",
    rows=[(1, 0), (2, 0)],
    sessions={"s1": CURSOR, "s2": WRITER},
    expected={
        " ".join(p): _outcome(p)
        for p in interleavings([[n for n, _ in CURSOR], [n for n, _ in WRITER]])
    },
)

SPECS = [SPEC]
