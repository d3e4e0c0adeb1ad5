"""
The reliability campaign of issue 12: what a careless or hostile client and
failures from below must never do to the driver or the data.

Run it from the repository root::

    python -m stress CASE [--short|--long] [--seed N] [options]

CASE is C{kill}, C{fuzz}, C{exhaust}, C{faults} or C{all}.  Each case runs
the real driver as a subprocess (C{twistd -n dbdriver}), prints its
figures, and exits non-zero on any lost write, crash, hang, non-protocol
answer or unbounded growth.  See C{docs/reliability.md}.
"""

from pathlib import Path

#: The repository root.
ROOT = Path(__file__).resolve().parent.parent
