"""
C{python -m dbdriver} and the C{dbdriver} command: the driver in the
foreground, without twistd's own options.  The plugin's options plus
C{--pidfile}, C{--help}, C{--version}; logs to stderr in Twisted's text
format; status 0 after a SIGTERM shutdown, 1 when it cannot start.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn, TextIO

from twisted.internet.interfaces import IReactorCore
from twisted.logger import (
    FileLogObserver,
    LogEvent,
    Logger,
    formatEventAsClassicLogText,
    globalLogBeginner,
)
from twisted.python import usage
from twisted.python.failure import Failure

from dbdriver._version import __version__
from dbdriver.tap import Options, makeService

__all__ = ["CommandOptions", "main", "run_database_driver"]


class CommandOptions(Options):
    """
    The plugin's options, with the command's own usage line, C{--version}
    and C{--pidfile}.
    """

    synopsis = "Usage: dbdriver [options]"
    optParameters = [
        *Options.optParameters,
        ["pidfile", None, None, "Write the process id to this file [default: none]."],
    ]

    def opt_version(self) -> NoReturn:
        """
        Print the version of dbdriver and exit.
        """
        print(f"dbdriver {__version__}")
        sys.exit(0)


class _Run:
    """
    One run of the driver on C{reactor}: its exit status is 1 if the start
    fails, else 0.
    """

    log = Logger()

    def __init__(self, options: CommandOptions, reactor: IReactorCore) -> None:
        self.reactor = reactor
        self.status = 0
        self.service = makeService(options)
        self.service.reactor = reactor
        self.service.exit_on_failure = False

    def _failed(self, failure: Failure) -> None:
        # DriverService._fatal has logged the reason (and stops the service,
        # as exit_on_failure is off): the command ends with status 1.
        self.status = 1
        if self.reactor.running:
            self.reactor.stop()

    def run(self) -> int:
        try:
            self.service.startService()
        except SystemExit as e:
            print(e, file=sys.stderr)
            return 1
        self.service.ready.addErrback(self._failed)
        self.reactor.addSystemEventTrigger(
            "before", "shutdown", self.service.stopService
        )
        self.reactor.run()
        return self.status


def _format(event: LogEvent) -> str | None:
    """
    Twisted's text format, always with C{[namespace#level]} (a legacy
    event's C{[system]} would hide its level).
    """
    return formatEventAsClassicLogText(
        {k: v for k, v in event.items() if k != "log_system"}
    )


def main(
    argv: list[str] | None = None,
    reactor: IReactorCore | None = None,
    stderr: TextIO | None = None,
) -> int:
    """
    Run the driver with C{argv} (default: the command line) until SIGTERM
    (or the parent's end, with C{--exit-with-parent}).

    @return: the exit status: 0 after a shutdown, 1 when the options are
        wrong or the driver cannot start (the reason is on stderr).
    """
    err = sys.stderr if stderr is None else stderr
    options = CommandOptions()
    try:
        options.parseOptions(sys.argv[1:] if argv is None else argv)
    except usage.UsageError as e:
        print(f"dbdriver: {e}\nTry 'dbdriver --help'.", file=err)
        return 1
    if reactor is None:
        from twisted.internet import reactor as _reactor

        reactor = _reactor
    globalLogBeginner.beginLoggingTo(
        [FileLogObserver(err, _format)], redirectStandardIO=False
    )
    pidfile = options["pidfile"]
    if pidfile:
        with open(pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    try:
        return _Run(options, reactor).run()
    finally:
        if pidfile:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pidfile)


def run_database_driver() -> NoReturn:
    """
    The console script: L{main} on the command line, its status the exit
    status.
    """
    sys.exit(main())
