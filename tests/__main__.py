"""
The whole test suite with coverage: C{python -m tests [pytest args]}.

Runs pytest under coverage (the driver subprocesses record their own data,
see support/sitecov/sitecustomize.py and support/twistd_cov.py), then
trial on the tests written for it (L{TRIAL}: C{python -m twisted.trial
tests.trial}, trial's own reactor and dirty-reactor check), combines the
data and fails under 90 %, or if either runner fails.  (Pytest never
collects L{TRIAL}'s folder: see conftest.py's C{collect_ignore}.)
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The test modules trial runs.
TRIAL = ("tests.trial",)


def _coverage(*args: str) -> int:
    return subprocess.call([sys.executable, "-m", "coverage", *args], cwd=ROOT)


def commands(argv: list[str]) -> list[list[str]]:
    """
    The coverage runs, in order: pytest with C{argv}, then trial.
    """
    return [
        ["run", "-m", "pytest", *argv],
        ["run", "-m", "twisted.trial", *TRIAL],
    ]


def main() -> int:
    _coverage("erase")
    results = [_coverage(*command) for command in commands(sys.argv[1:])]
    _coverage("combine", "-q")
    report = _coverage("report")
    failed = [code for code in results if code]
    return failed[0] if failed else report


if __name__ == "__main__":
    sys.exit(main())
