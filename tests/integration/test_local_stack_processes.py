"""The local stack's processes: its AWS emulator and its functions' containers are children of its own, warm
before it is ready, and end with it however it ends: a stop signal (during start-up too), Ctrl-C to the whole
terminal group, or the stack killed outright."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from infrastructure.local.aws.emulator import EMULATOR_MODULE
from infrastructure.local.lambda_runtime import API_FUNCTIONS, CONTAINER_MODULE, PoolCounts
from infrastructure.local.launch import LaunchedStack, launch_local_stack
from infrastructure.local.stack import LocalStack
from infrastructure.routes import FUNCTIONS, ROUTES

pytestmark = pytest.mark.integration

BOUND_SECONDS = 60  # only a bound for a stack that is broken; no test waits it out


def wait_until(condition, what: str) -> None:
    """Wait for a state a process cannot announce (a child reaped, a child started); asserts no time."""
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def processes_of_group(group: int) -> list[int]:
    """The processes still running in a process group (a zombie has ended: it only waits to be reaped)."""
    members = []
    for process in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            state, _, process_group = (process / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            if int(process_group) == group and state not in ("Z", "X"):
                members.append(int(process.name))
    return members


def launched_in_a_group_of_its_own(directory: Path) -> LaunchedStack:
    """The stack as a terminal runs it: it, and every process it starts, in one group (its own pid)."""
    return launch_local_stack(directory, own_process_group=True)


def roles(children: dict[int, list[str]]) -> list[str]:
    """Each child by what it runs: "emulator", or the handler module a container imports."""
    named = []
    for command in children.values():
        module = command[command.index("-m") + 1]
        named.append("emulator" if module == EMULATOR_MODULE else command[command.index(CONTAINER_MODULE) + 1])
    return sorted(named)


EXPECTED_CHILDREN = sorted(["emulator", *(FUNCTIONS[name].module for name in API_FUNCTIONS)])


def test_the_api_functions_are_every_routed_function_and_not_the_trigger():
    assert sorted(API_FUNCTIONS) == sorted({route.function for route in ROUTES})
    assert "post_confirmation" not in API_FUNCTIONS


def test_after_start_each_api_function_has_one_idle_container_and_the_trigger_none():
    with LocalStack() as stack:
        counts = {name: stack.containers.counts(name) for name in FUNCTIONS}

    one_idle, none = PoolCounts(containers=1, busy=0, idle=1, waiting=0), PoolCounts(0, 0, 0, 0)
    assert counts == {name: one_idle if name in API_FUNCTIONS else none for name in FUNCTIONS}


def test_ctrl_c_to_the_terminal_group_stops_the_stack_and_every_child_cleanly(tmp_path):
    stack = launched_in_a_group_of_its_own(tmp_path)
    stack.wait_until_ready()
    children = stack.children()

    os.killpg(stack.process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: every process of the group
    exit_code = stack.process.wait(timeout=BOUND_SECONDS)

    assert roles(children) == EXPECTED_CHILDREN  # ready: its emulator, and one warm container per API function
    assert exit_code == 0, stack.output()
    assert "Traceback" not in stack.output()
    assert not stack.info_file.exists()
    wait_until(lambda: not processes_of_group(stack.process.pid), "every child of the stopped stack ended")


def test_a_stop_signal_during_start_up_stops_the_stack_and_leaves_nothing_behind(tmp_path):
    stack = launched_in_a_group_of_its_own(tmp_path)
    # The emulator is its first child: from then on the stack is starting up, its stop signals held.
    wait_until(lambda: "emulator" in roles(stack.children()) or stack.process.poll() is not None, "an emulator")

    stack.process.send_signal(signal.SIGTERM)
    exit_code = stack.process.wait(timeout=BOUND_SECONDS)

    assert exit_code == 0, stack.output()
    assert "Stopping the local stack (SIGTERM)" in stack.output()
    assert "Traceback" not in stack.output()
    assert not stack.info_file.exists()
    wait_until(lambda: not processes_of_group(stack.process.pid), "every child of the stopped stack ended")


def test_when_the_stack_is_killed_its_emulator_and_containers_end_with_it(tmp_path):
    stack = launched_in_a_group_of_its_own(tmp_path)
    stack.wait_until_ready()
    children = stack.children()

    stack.process.kill()  # no shutdown of its own: only its end of each child's link closes
    stack.process.wait(timeout=BOUND_SECONDS)

    assert roles(children) == EXPECTED_CHILDREN
    wait_until(lambda: not processes_of_group(stack.process.pid), "every child of the killed stack ended")
