"""How ``run`` takes its stop signals, and how the stack's children take theirs: each case in a fresh interpreter,
since a signal mask is a process's own.

The stop signals are held blocked and taken with ``sigwait``. The case that once failed, both signals caught at
once, is produced exactly: both are sent while held, so both are pending together. (The handler this replaces
ran SIGINT's, switched both to ``SIG_IGN`` and then met SIGTERM already caught: "OSError: Signal 15 ignored due
to race condition" in the middle of the shutdown.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from infrastructure.local.run import StopSignals
from tests.unit.test_local_lambda_containers import ENVIRONMENT, FUNCTION_MODULE

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOUND_SECONDS = 60  # only a bound for a broken case: each runs in well under a second


# As ``python -m infrastructure.local`` does first: ``run`` imports the gateway, which imports the layer.
PRELUDE = "from infrastructure.local.shared_layer import make_layer_importable; make_layer_importable()\n"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=BOUND_SECONDS,
        check=False,
    )


def test_two_stop_signals_caught_at_once_interrupt_nothing_and_the_first_is_taken():
    finished = run_python(
        """
        import os, signal
        from infrastructure.local.run import StopSignals

        stop = StopSignals()
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)  # both pending together: the case that raced
        arrived = stop.arrived()
        total = sum(range(200_000))  # what the stack does meanwhile runs on, uninterrupted
        taken = stop.wait()
        print(arrived, total, taken.name)
        """
    )

    assert (finished.returncode, finished.stderr) == (0, "")
    arrived, total, taken = finished.stdout.split()
    assert (arrived, total) == ("True", str(sum(range(200_000))))
    assert taken in ("SIGINT", "SIGTERM")


def test_stop_signals_during_the_shutdown_and_at_exit_change_nothing_the_exit_code_included():
    finished = run_python(
        """
        import os, signal
        from infrastructure.local.run import StopSignals

        stop = StopSignals()
        os.kill(os.getpid(), signal.SIGTERM)
        stop.wait()
        for _ in range(500):  # what `make run` and an impatient developer send while the stack stops
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)
        print("stopped cleanly")
        """  # and the process exits with both still pending
    )

    assert (finished.returncode, finished.stdout, finished.stderr) == (0, "stopped cleanly\n", "")


def test_nothing_is_pending_until_a_stop_signal_comes():
    finished = run_python(
        """
        from infrastructure.local.run import StopSignals

        print(StopSignals().arrived())
        """
    )

    assert (finished.returncode, finished.stdout, finished.stderr) == (0, "False\n", "")


def test_stop_signals_cannot_be_held_once_another_thread_runs():
    # Checked before anything changes: this process's mask stays as it was.
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with pytest.raises(RuntimeError, match="before any other thread starts"):
            StopSignals()
    finally:
        release.set()
        other.join()
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_a_child_of_a_stack_holding_its_stop_signals_ignores_sigint_and_ends_on_sigterm():
    # A container, started as the stack starts one: it inherits the held mask, then sets its own rules.
    finished = run_python(
        f"""
        import os, signal
        from infrastructure.local.child_process import ChildProcess
        from infrastructure.local.run import StopSignals

        StopSignals()
        child = ChildProcess("infrastructure.local.lambda_container", [{FUNCTION_MODULE!r}], os.environ)
        initialized = child.receive()
        os.kill(child.pid, signal.SIGINT)  # Ctrl-C reaches the whole terminal group
        child.send({{"event": {{"tenant_id": "t1"}}, "context": {{"function_name": "f", "memory_limit_in_mb": 128,
                    "invoked_function_arn": "arn", "timeout_seconds": 3, "aws_request_id": "r1"}}}})
        answered = child.receive()
        child.close()
        print("seen:", initialized, answered["result"]["pid"] == child.pid, child.process.returncode)
        """
    )

    assert finished.returncode == 0, finished.stderr
    [seen] = [line for line in finished.stdout.splitlines() if line.startswith("seen:")]  # the function logs too
    assert seen == f"seen: {{'initialized': True}} True {-signal.SIGTERM}"
