"""
The isolation specs, one module per topic, each a list C{SPECS} of
L{tests.isolation.runner.Spec} (data first: the steps, then the expected
outcome of each permutation).
"""

from tests.isolation.runner import Spec
from tests.isolation.specs import (
    cursor_snapshot,
    disconnect,
    group_commit,
    read_your_writes,
    reader_snapshot,
    two_writers,
    write_lock_idle,
)

SPECS: list[Spec] = [
    *two_writers.SPECS,
    *read_your_writes.SPECS,
    *reader_snapshot.SPECS,
    *disconnect.SPECS,
    *group_commit.SPECS,
    *cursor_snapshot.SPECS,
    *write_lock_idle.SPECS,
]
