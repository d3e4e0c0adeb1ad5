"""
Runs C{twistd} with coverage measurement, for the process tests.

Coverage itself is started by C{tests/support/sitecov/sitecustomize.py}
(see L{tests.conftest.child_env}) and saved at exit; but twistd -n re-kills
itself with the signal that stopped it, so the atexit hook never runs: the
data is saved from a reactor shutdown trigger too.
"""

import os
import sys


def _save() -> None:
    if os.environ.get("DBDRIVER_COVERAGE_RC"):
        import coverage

        cov = coverage.Coverage.current()
        if cov is not None:
            cov.stop()
            cov.save()
            cov.start()  # atexit stops and saves it again if it gets there


if __name__ == "__main__":
    from twisted.internet import reactor
    from twisted.scripts.twistd import run

    reactor.addSystemEventTrigger("after", "shutdown", _save)  # type: ignore[attr-defined]
    sys.argv = ["twistd", *sys.argv[1:]]
    run()
