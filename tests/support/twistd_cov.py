"""
Runs C{twistd} with coverage measurement, for the process tests.

twistd -n re-kills itself with the signal that stopped it, so coverage's
atexit hook never runs; the data is saved from a reactor shutdown trigger
instead (and at exit, for start-up failures that end with SystemExit).
"""

import atexit
import os
import sys

_cov = None
if os.environ.get("DBDRIVER_COVERAGE_RC"):
    import coverage

    _cov = coverage.Coverage(
        config_file=os.environ["DBDRIVER_COVERAGE_RC"],
        data_file=os.environ.get("DBDRIVER_COVERAGE_DATA"),
        data_suffix=True,
    )
    _cov.start()


def _save() -> None:
    global _cov
    if _cov is not None:
        cov, _cov = _cov, None
        cov.stop()
        cov.save()


if __name__ == "__main__":
    atexit.register(_save)
    from twisted.internet import reactor
    from twisted.scripts.twistd import run

    reactor.addSystemEventTrigger("after", "shutdown", _save)  # type: ignore[attr-defined]
    if os.environ.get("DBDRIVER_ENTRY") == "runner":
        from dbdriver.server.runner import run_database_driver

        run_database_driver(sys.argv[1:])
    else:
        sys.argv = ["twistd", *sys.argv[1:]]
        run()
