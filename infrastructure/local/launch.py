"""The local stack as ``make run`` starts it, in a process of its own: launched on free ports, waited for, stopped
by a signal. What the integration tests and the benchmarks run against, so both meet the stack a developer does.

Its output goes to a file (a pipe could fill and stall it); the info file says it is ready, being written whole
(renamed into place) once the stack serves.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from infrastructure.local.stack_info import StackInfo, read_stack_info

REPO_ROOT = Path(__file__).resolve().parents[2]
# Only bounds for a stack that is broken: start-up takes seconds (longer on a loaded machine).
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
_OUTPUT_TAIL = 6000


class StackDidNotStart(Exception):
    """The stack exited, or wrote no info file in time; the message ends with its output."""


class StackDidNotStop(Exception):
    """The stack outlived its stop signal (it was killed); the message ends with its output."""


@dataclass
class LaunchedStack:
    """``python -m infrastructure.local run`` running: its process, info file and output file."""

    process: subprocess.Popen[bytes]
    info_file: Path
    output_file: Path
    info: StackInfo | None = None

    def output(self) -> str:
        return self.output_file.read_text(errors="replace")

    def wait_until_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> StackInfo:
        deadline = time.monotonic() + timeout
        while not self.info_file.exists():
            if self.process.poll() is not None:
                raise StackDidNotStart(f"the local stack exited with {self.process.returncode}:\n{self._tail()}")
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise StackDidNotStart(f"the local stack was not ready within {timeout:.0f} s:\n{self._tail()}")
            time.sleep(0.05)
        self.info = read_stack_info(self.info_file)
        return self.info

    def stop(self, signum: signal.Signals = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Send ``signum`` and wait for the exit code."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise StackDidNotStop(
                f"the local stack ignored {signum.name} for {timeout:.0f} s:\n{self._tail()}"
            ) from None

    def children(self) -> dict[int, list[str]]:
        """The stack's child processes still running (its emulator and containers): pid -> command line.
        Linux only (/proc); a zombie, which has ended and waits to be reaped, is not counted."""
        found: dict[int, list[str]] = {}
        for process in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                state, parent = (process / "stat").read_text().rsplit(")", 1)[1].split()[:2]
                if int(parent) == self.process.pid and state not in ("Z", "X"):
                    found[int(process.name)] = (process / "cmdline").read_bytes().decode().split("\0")[:-1]
        return found

    def _tail(self) -> str:
        return self.output()[-_OUTPUT_TAIL:]


def launch_local_stack(
    directory: Path, arguments: Sequence[str] = (), *, own_process_group: bool = False
) -> LaunchedStack:
    """Start ``python -m infrastructure.local run`` on free ports, its info and output files in ``directory``.

    ``own_process_group``: the stack and its children in a group of their own, as a terminal runs ``make run``,
    so that a signal can be sent to all of them at once, as Ctrl-C sends SIGINT."""
    info_file, output_file = directory / "local-stack.json", directory / "local-stack.log"
    with output_file.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "infrastructure.local", "run", "--api-port", "0", "--aws-port", "0"]
            + ["--auth-port", "0", "--amazon-port", "0", "--console-port", "0", "--azure-port", "0"]
            + ["--info-file", str(info_file), *arguments],
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0 if own_process_group else None,
        )
    return LaunchedStack(process, info_file, output_file)


@contextlib.contextmanager
def running_local_stack() -> Iterator[LaunchedStack]:
    """A stack launched and ready (its ``info`` read), stopped with SIGTERM after the block, in a scratch directory."""
    with tempfile.TemporaryDirectory() as directory:
        stack = launch_local_stack(Path(directory))
        try:
            stack.wait_until_ready()
            yield stack
        finally:
            if stack.process.poll() is None:
                stack.stop()
