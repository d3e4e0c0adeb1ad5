"""
The dbdriver benchmark (issue 3): every workload W1-W7 measured against its
anchor in the same run on the same machine, latency percentiles, throughput
against requests in flight, and the driver's memory.

Run it from the repository root::

    python -m bench [--quick] [--only W1,W2] [--seconds S] [--soak SECONDS]
                    [--out DIR]

The driver runs as a real C{twistd dbdriver} subprocess; clients use the
real L{dbdriver.connect}.  Anchors that cannot run (no PostgreSQL, no
psycopg) are reported as skipped, never faked.
"""

from pathlib import Path

#: The repository root: the driver subprocess gets it as C{PYTHONPATH}.
ROOT = Path(__file__).resolve().parent.parent
