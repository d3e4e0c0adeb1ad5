"""
A stand-in for C{python -m dbdriver} while its CLI is being written: the
real driver (L{DriverService} from the plugin's options) with the
contract's C{--ready-fd=N}, C{--exit-with-parent} and log lines on stderr.
Run as a script: C{python standin.py [plugin options]}.
"""

import os
import sys
import threading

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


def main(argv: list[str]) -> int:
    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver
    from twisted.python import usage

    from dbdriver.tap import Options, makeService

    ready_fd = None
    watch = False
    rest = []
    for arg in argv:
        if arg.startswith("--ready-fd="):
            ready_fd = int(arg.partition("=")[2])
        elif arg == "--exit-with-parent":
            watch = True
        else:
            rest.append(arg)
    options = Options()
    try:
        options.parseOptions(rest)
    except usage.UsageError as e:
        print(f"dbdriver: {e}", file=sys.stderr)
        return 1
    globalLogBeginner.beginLoggingTo(
        [textFileLogObserver(sys.stderr)], redirectStandardIO=False
    )
    service = makeService(options)
    try:
        service.startService()
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 1

    def ready(_: object) -> None:
        if ready_fd is not None:
            os.write(ready_fd, f"READY {service.socket_path}\n".encode())
            os.close(ready_fd)

    service.ready.addCallback(ready)
    service.ready.addErrback(lambda _: None)
    if watch:

        def wait_for_eof() -> None:
            while os.read(0, 4096):
                pass
            reactor.callFromThread(reactor.stop)

        threading.Thread(target=wait_for_eof, daemon=True).start()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.addSystemEventTrigger("after", "shutdown", _save)
    reactor.run()
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    _save()
    sys.exit(status)
