"""
The whole test suite with coverage: C{python -m tests [pytest args]}.

Runs pytest under coverage (the driver subprocesses record their own data,
see support/sitecov/sitecustomize.py and support/twistd_cov.py), combines
the data and fails under 90 %.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _coverage(*args: str) -> int:
    return subprocess.call([sys.executable, "-m", "coverage", *args], cwd=ROOT)


def main() -> int:
    _coverage("erase")
    tests = _coverage("run", "-m", "pytest", *sys.argv[1:])
    _coverage("combine", "-q")
    report = _coverage("report")
    return tests or report


if __name__ == "__main__":
    sys.exit(main())
