"""
The timing of L{dbdriver.supervisor.process.DriverProcess}: how long to
wait before starting a child again, when to give up, and how long a child
may take to stop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import attrs

__all__ = ["STOP_MARGIN", "RestartPolicy", "shutdown_timeout"]

#: Seconds added to the driver's own shutdown timeout before SIGKILL.
STOP_MARGIN = 5.0
#: The driver's default C{--shutdown-timeout}.
DEFAULT_SHUTDOWN_TIMEOUT = 10.0


def shutdown_timeout(args: Sequence[str]) -> float:
    """The C{--shutdown-timeout} that C{args} give the driver (else its default)."""
    found = DEFAULT_SHUTDOWN_TIMEOUT
    for i, arg in enumerate(args):
        if arg.startswith("--shutdown-timeout="):
            value = arg.partition("=")[2]
        elif arg == "--shutdown-timeout" and i + 1 < len(args):
            value = args[i + 1]
        else:
            continue
        with contextlib.suppress(ValueError):  # the child will refuse it
            found = float(value)
    return found


@attrs.define
class RestartPolicy:
    """
    Exponential backoff: the first restart waits C{initial} seconds, each
    further one C{factor} times longer, up to C{maximum}; a child that was
    ready for C{healthy} seconds or more resets the wait.  C{attempts}
    consecutive children that exit before they are ready end the restarts.

    @ivar failures: consecutive children that exited before being ready.
    """

    initial: float = 0.1
    factor: float = 2.0
    maximum: float = 30.0
    healthy: float = 60.0
    attempts: int = 5
    failures: int = attrs.field(default=0, init=False)
    _next: float | None = attrs.field(default=None, init=False)

    def ready(self) -> None:
        """A child became ready: the count of failed starts starts again."""
        self.failures = 0

    def failed_start(self) -> float | None:
        """
        A child exited before it was ready.

        @return: the seconds to wait before the next attempt, or L{None} once
            C{attempts} starts in a row have failed (give up).
        """
        self.failures += 1
        if self.failures >= self.attempts:
            return None
        return self._delay()

    def ended(self, uptime: float) -> float:
        """
        A ready child exited after C{uptime} seconds of being ready.

        @return: the seconds to wait before starting the next one.
        """
        if uptime >= self.healthy:
            self._next = None
        return self._delay()

    def _delay(self) -> float:
        delay = self.initial if self._next is None else self._next
        self._next = min(delay * self.factor, self.maximum)
        return delay
