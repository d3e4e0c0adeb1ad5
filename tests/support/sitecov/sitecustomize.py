"""
Coverage of every Python child of the tests (C{python -m dbdriver}, the
twistd wrapper): L{tests.conftest.child_env} puts this directory on the
path of a child when the tests run under coverage, so the child measures
itself from its first import and saves its data at exit.  (A child that
ends by a signal saves from a reactor shutdown trigger instead: see
C{twistd_cov.py}.)
"""

import atexit
import os

if os.environ.get("DBDRIVER_COVERAGE_RC"):
    import coverage

    _cov = coverage.Coverage(
        config_file=os.environ["DBDRIVER_COVERAGE_RC"],
        data_file=os.environ.get("DBDRIVER_COVERAGE_DATA"),
        data_suffix=True,
    )
    _cov.start()

    def _save() -> None:
        _cov.stop()
        _cov.save()

    atexit.register(_save)
