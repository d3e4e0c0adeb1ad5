"""
L{dbdriver.supervisor.backoff.RestartPolicy}: doubling waits up to the
maximum, reset after a healthy run, a limit on failed starts; the
driver's shutdown timeout read from its options.
"""

from __future__ import annotations

from dbdriver.supervisor.backoff import RestartPolicy, shutdown_timeout


def test_waits_double_up_to_the_maximum() -> None:
    policy = RestartPolicy()
    assert [policy.ended(1.0) for _ in range(11)] == [
        0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0,
    ]  # fmt: skip


def test_a_healthy_run_resets_the_wait() -> None:
    policy = RestartPolicy()
    assert [policy.ended(5.0) for _ in range(3)] == [0.1, 0.2, 0.4]
    assert policy.ended(60.0) == 0.1
    assert policy.ended(59.9) == 0.2


def test_failed_starts_give_up_after_the_attempts() -> None:
    policy = RestartPolicy(initial=1.0, factor=3.0, attempts=3)
    assert policy.failed_start() == 1.0
    assert policy.failed_start() == 3.0
    assert policy.failed_start() is None
    assert policy.failures == 3


def test_a_ready_child_resets_the_failed_starts() -> None:
    policy = RestartPolicy(attempts=2)
    assert policy.failed_start() == 0.1
    policy.ready()
    assert policy.failures == 0
    assert policy.failed_start() == 0.2  # the wait goes on doubling
    assert policy.failed_start() is None


def test_shutdown_timeout_from_args() -> None:
    assert shutdown_timeout([]) == 10.0
    assert shutdown_timeout(["--shutdown-timeout=2.5"]) == 2.5
    assert shutdown_timeout(["--shutdown-timeout", "3"]) == 3.0
    assert shutdown_timeout(["--shutdown-timeout=x"]) == 10.0
