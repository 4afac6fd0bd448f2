"""The local stack's child processes (the AWS emulator, the functions' containers): how each is started, linked to
the stack and stopped, on both sides of the link.

A child is ``python -m MODULE ARGS... FD``: FD is its end of a socket pair with the stack. Their messages go over it
(``multiprocessing.connection`` framing, one JSON document each), and it is the child's lifeline: when the stack's
end closes, because the stack stopped the child, failed to start, or died (even by SIGKILL), the child reads EOF
and ends. Ctrl-C reaches every process of the terminal's group: a child ignores SIGINT and lets the stack stop it,
in order.

Only the standard library is imported here: a container imports this module before its function's own.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_SECONDS = 5
_CHILD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class ChildLost(Exception):
    """The child ended, or its link broke, before it answered."""


class ChildProcess:
    """One child of the stack and its link."""

    def __init__(self, module: str, arguments: Sequence[str], environment: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair()
        try:
            with theirs:  # the child's end: inherited by the process alone
                self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    [sys.executable, "-m", module, *arguments, str(theirs.fileno())],
                    cwd=REPO_ROOT,
                    env=dict(environment),
                    stdin=subprocess.DEVNULL,  # its output and errors are the stack's
                    pass_fds=(theirs.fileno(),),
                )
        except BaseException:
            ours.close()
            raise
        self._connection = Connection(ours.detach())

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: dict[str, Any]) -> None:
        try:
            self._connection.send_bytes(json.dumps(message).encode())
        except OSError as error:
            raise self._lost() from error

    def receive(self, timeout: float | None = None) -> dict[str, Any]:
        """The child's next message; ``ChildLost`` if it ended first, ``TimeoutError`` if none came in time."""
        try:
            if timeout is not None and not self._connection.poll(timeout):
                raise TimeoutError(f"process {self.process.pid} sent nothing within {timeout:.0f} s")
            return json.loads(self._connection.recv_bytes())
        except (EOFError, OSError) as error:
            raise self._lost() from error

    def end(self) -> None:
        """Stop the process, whatever it is doing (a message awaited from it then fails as ``ChildLost``)."""
        if self.process.poll() is None:
            self.process.terminate()

    def close(self) -> None:
        """Stop the process and release the link; only by the one thread that holds the child."""
        self.end()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._connection.close()

    def _lost(self) -> ChildLost:
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_SECONDS)  # a closed link comes just before the exit
        except subprocess.TimeoutExpired:
            return ChildLost(f"process {self.process.pid} closed its link")
        return ChildLost(f"process {self.process.pid} ended, exit code {code}")


def link_to_stack(descriptor: str) -> Connection:
    """In the child, first: the stack's signal rules for its children, then the link to the stack.

    The stack holds SIGINT and SIGTERM blocked (``run``), and a child inherits that mask: unblocked here, SIGTERM
    stops the child at once (in-memory state only), and SIGINT stays ignored (set first, so one already pending
    is dropped rather than delivered).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # an ignored SIGTERM would be inherited from a stopping stack
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _CHILD_SIGNALS)
    return Connection(int(descriptor))


def send_to_stack(connection: Connection, message: dict[str, Any]) -> None:
    connection.send_bytes(json.dumps(message).encode())


def receive_from_stack(connection: Connection) -> dict[str, Any] | None:
    """The stack's next message, or None once the stack has closed its end."""
    try:
        return json.loads(connection.recv_bytes())
    except EOFError:
        return None
