"""
L{dbdriver.drivers.interrupt}: a cancel reaches the request it was meant
for, is sent again while that request runs, and never reaches the next.
"""

from __future__ import annotations

import threading
import time

from dbdriver.drivers.interrupt import Interrupter


class _Connection:
    """A stand-in DB-API connection (weak references allowed)."""


def _wait_for(condition: threading.Event) -> None:
    assert condition.wait(5)


def test_nothing_runs_nothing_is_cancelled() -> None:
    sent: list[_Connection] = []

    def cancel(target: _Connection) -> bool:
        sent.append(target)
        return True

    interrupter: Interrupter[_Connection] = Interrupter(cancel)
    interrupter.interrupt(_Connection())
    connection = _Connection()
    with interrupter.running(connection):
        pass
    interrupter.interrupt(connection)
    time.sleep(0.05)
    assert sent == []


def test_cancels_are_sent_until_the_request_ends() -> None:
    connection = _Connection()
    sent = threading.Event()
    count = [0]

    def cancel(target: _Connection) -> bool:
        assert target is connection
        count[0] += 1
        if count[0] == 3:
            sent.set()
        return True

    interrupter: Interrupter[_Connection] = Interrupter(cancel, again=0.01)
    # Nested: the outer one is the request.
    with interrupter.running(connection), interrupter.running(connection):
        interrupter.interrupt(connection)
        _wait_for(sent)
    time.sleep(0.05)
    ended = count[0]
    time.sleep(0.05)
    assert count[0] == ended  # none after the request ended


def test_a_failed_cancel_is_not_retried() -> None:
    connection = _Connection()
    tried = threading.Event()
    count = [0]

    def cancel(target: _Connection) -> bool:
        count[0] += 1
        tried.set()
        return False

    interrupter: Interrupter[_Connection] = Interrupter(cancel, again=0.01)
    with interrupter.running(connection):
        interrupter.interrupt(connection)
        _wait_for(tried)
        time.sleep(0.05)
    assert count[0] == 1


def test_the_request_ends_after_the_cancel_in_flight() -> None:
    """
    A cancel being sent holds the request's end back: the next request on
    the connection cannot start before it is over.
    """
    connection = _Connection()
    sending, release = threading.Event(), threading.Event()

    def cancel(target: _Connection) -> bool:
        sending.set()
        release.wait(5)
        return True

    interrupter: Interrupter[_Connection] = Interrupter(cancel)
    threading.Timer(0.2, release.set).start()
    with interrupter.running(connection):
        interrupter.interrupt(connection)
        _wait_for(sending)
        started = time.monotonic()
    assert time.monotonic() - started >= 0.15
