"""The local stack's Lambda containers: real processes, several per function, each running one invocation at a time.

The function is ``rendezvous_function``: each invocation reports to the test and waits until the test lets it
go on, so a test knows which invocations run at the same moment, and in which process, without timing anything.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from infrastructure.local.gateway.proxy import LocalApiGateway
from infrastructure.local.gateway.proxy_event import ApiStage
from infrastructure.local.lambda_runtime import (
    ContainerLost,
    ContainerPool,
    FunctionError,
    LambdaContainers,
    LambdaContext,
    PoolClosed,
    PoolCounts,
    handler_environment,
)
from tests.unit.test_local_gateway import FakeAuthorizer, request
from tests.unit.test_local_lambda_runtime import RESOURCES

FUNCTION_MODULE = "tests.unit.rendezvous_function"
# Only a bound for a broken runtime: no test waits for it to pass.
BOUND_SECONDS = 30
ENVIRONMENT = {**os.environ, **handler_environment(RESOURCES), "PYTHONUNBUFFERED": "1"}


@dataclass
class Arrival:
    """An invocation that has reached the rendezvous and waits there."""

    connection: socket.socket
    pid: int
    running: int
    request_id: str

    def let_go(self) -> None:
        self.connection.sendall(b"g")
        self.connection.close()


class Rendezvous:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(BOUND_SECONDS)
        self.port = self._listener.getsockname()[1]

    def next_arrival(self) -> Arrival:
        connection, _ = self._listener.accept()
        connection.settimeout(BOUND_SECONDS)
        report = json.loads(connection.makefile().readline())
        return Arrival(connection, report["pid"], report["running"], report["request_id"])

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def rendezvous() -> Iterator[Rendezvous]:
    meeting = Rendezvous()
    yield meeting
    meeting.close()


@pytest.fixture
def invoker() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


@pytest.fixture
def pools() -> Iterator[Callable[[int], ContainerPool]]:
    made: list[ContainerPool] = []

    def make(max_containers: int) -> ContainerPool:
        made.append(ContainerPool(FUNCTION_MODULE, ENVIRONMENT, max_containers=max_containers))
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def context(request_id: str) -> LambdaContext:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:cloudivize-rendezvous"
    return LambdaContext("cloudivize-rendezvous", 128, arn, 15, request_id)


def invoke(invoker: ThreadPoolExecutor, pool: ContainerPool, request_id: str, **event: Any) -> Future[Any]:
    event.setdefault("tenant_id", f"tenant-of-{request_id}")
    return invoker.submit(pool.invoke, event, context(request_id))


def wait_until(condition: Callable[[], bool]) -> None:
    """Wait for a state the test cannot be told of (an invocation queued inside the pool); asserts no time."""
    deadline = time.monotonic() + BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the pool never reached the state the test waits for"
        time.sleep(0.01)


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_two_invocations_of_one_function_run_at_once_each_in_a_container_of_its_own(pools, rendezvous, invoker):
    pool = pools(2)

    first = invoke(invoker, pool, "r1", port=rendezvous.port)
    second = invoke(invoker, pool, "r2", port=rendezvous.port)
    arrivals = [rendezvous.next_arrival(), rendezvous.next_arrival()]  # both under way before either goes on
    counts_while_both_run = pool.counts()
    for arrival in arrivals:
        arrival.let_go()

    assert {arrival.request_id for arrival in arrivals} == {"r1", "r2"}
    assert arrivals[0].pid != arrivals[1].pid != os.getpid()
    assert [arrival.running for arrival in arrivals] == [1, 1]  # each container runs only its own
    assert (counts_while_both_run.containers, counts_while_both_run.busy) == (2, 2)
    assert {first.result(BOUND_SECONDS)["pid"], second.result(BOUND_SECONDS)["pid"]} == {a.pid for a in arrivals}


def test_at_the_limit_an_invocation_waits_for_the_next_container_to_come_free(pools, rendezvous, invoker):
    pool = pools(2)
    first = invoke(invoker, pool, "r1", port=rendezvous.port)
    held = [rendezvous.next_arrival()]
    invoke(invoker, pool, "r2", port=rendezvous.port)
    held.append(rendezvous.next_arrival())

    third = invoke(invoker, pool, "r3", port=rendezvous.port)
    wait_until(lambda: pool.counts().waiting == 1)
    counts_at_the_limit = pool.counts()
    held[0].let_go()
    first.result(BOUND_SECONDS)
    late = rendezvous.next_arrival()
    late.let_go()
    held[1].let_go()

    assert (counts_at_the_limit.containers, counts_at_the_limit.busy, counts_at_the_limit.waiting) == (2, 2, 1)
    assert late.request_id == "r3"
    assert late.pid == held[0].pid  # the container the first invocation left, not a third one
    assert late.running == 1
    assert third.result(BOUND_SECONDS)["pid"] == held[0].pid
    assert pool.counts().containers == 2


def test_a_warm_container_serves_invocation_after_invocation(pools, invoker):
    pool = pools(4)

    pids = [invoke(invoker, pool, f"r{n}").result(BOUND_SECONDS)["pid"] for n in range(3)]

    assert len(set(pids)) == 1
    assert pool.counts().containers == 1


def test_log_keys_of_one_invocation_never_appear_on_the_lines_of_another(pools, rendezvous, invoker, capfd):
    pool = pools(2)
    capfd.readouterr()
    first = invoke(invoker, pool, "r1", port=rendezvous.port, tenant_id="tenant-a")
    held = rendezvous.next_arrival()
    second = invoke(invoker, pool, "r2", port=rendezvous.port, tenant_id="tenant-b")
    other = rendezvous.next_arrival()
    # The first logs again only after the second set its own keys: a logger shared by both would now say tenant-b.
    (held if held.request_id == "r1" else other).let_go()
    first.result(BOUND_SECONDS)
    (other if held.request_id == "r1" else held).let_go()
    second.result(BOUND_SECONDS)

    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    keys = [(line["function_request_id"], line["tenant_id"], line["message"]) for line in lines]
    assert sorted(keys) == [
        ("r1", "tenant-a", "Arrived"),
        ("r1", "tenant-a", "Leaving"),
        ("r2", "tenant-b", "Arrived"),
        ("r2", "tenant-b", "Leaving"),
    ]


def test_a_warmed_pool_has_one_idle_container_and_the_first_invocation_starts_no_other(pools, invoker):
    pool = pools(4)

    pool.warm()
    counts_warm = pool.counts()
    pid = invoke(invoker, pool, "r1").result(BOUND_SECONDS)["pid"]

    assert counts_warm == PoolCounts(containers=1, busy=0, idle=1, waiting=0)
    assert pool.counts() == PoolCounts(containers=1, busy=0, idle=1, waiting=0)
    assert invoke(invoker, pool, "r2").result(BOUND_SECONDS)["pid"] == pid


def test_warming_a_pool_that_has_a_container_starts_none(pools, invoker):
    pool = pools(4)
    invoke(invoker, pool, "r1").result(BOUND_SECONDS)

    pool.warm()
    pool.warm()

    assert pool.counts() == PoolCounts(containers=1, busy=0, idle=1, waiting=0)


def test_a_container_whose_init_failed_is_warm_and_answers_each_invocation_with_the_failure(invoker):
    pool = ContainerPool("tests.unit.no_such_function", ENVIRONMENT, max_containers=1)
    try:
        pool.warm()
        counts = pool.counts()
        with pytest.raises(FunctionError, match="^ModuleNotFoundError: No module named 'tests.unit.no_such_function'"):
            invoke(invoker, pool, "r1").result(BOUND_SECONDS)
    finally:
        pool.close()

    assert counts == PoolCounts(containers=1, busy=0, idle=1, waiting=0)


def test_a_closed_pool_warms_nothing(pools):
    pool = pools(1)
    pool.close()

    with pytest.raises(PoolClosed):
        pool.warm()
    assert pool.counts() == PoolCounts(containers=0, busy=0, idle=0, waiting=0)


def test_what_the_function_raises_is_a_function_error_and_its_container_stays_warm(pools, invoker):
    pool = pools(1)

    with pytest.raises(FunctionError, match="^RuntimeError: refused$") as raised:
        invoke(invoker, pool, "r1", error="refused").result(BOUND_SECONDS)
    pid_before = invoke(invoker, pool, "r2").result(BOUND_SECONDS)["pid"]

    assert not isinstance(raised.value, ContainerLost)
    assert pool.counts().containers == 1
    assert invoke(invoker, pool, "r3").result(BOUND_SECONDS)["pid"] == pid_before


def test_a_container_that_dies_mid_invocation_is_replaced_by_a_new_one(pools, invoker):
    pool = pools(1)
    pid_before = invoke(invoker, pool, "r1").result(BOUND_SECONDS)["pid"]

    with pytest.raises(ContainerLost):
        invoke(invoker, pool, "r2", exit_code=3).result(BOUND_SECONDS)
    pid_after = invoke(invoker, pool, "r3").result(BOUND_SECONDS)["pid"]

    assert pid_after != pid_before
    assert is_gone(pid_before)
    assert pool.counts().containers == 1


def test_closing_stops_the_idle_containers_and_those_under_way(pools, rendezvous, invoker):
    pool = pools(2)
    under_way = invoke(invoker, pool, "r1", port=rendezvous.port)
    invoke(invoker, pool, "r2", port=rendezvous.port)
    arrivals = {arrival.request_id: arrival for arrival in (rendezvous.next_arrival(), rendezvous.next_arrival())}
    arrivals["r2"].let_go()
    wait_until(lambda: pool.counts().busy == 1)  # r2's container is idle again

    pool.close()

    with pytest.raises(ContainerLost):
        under_way.result(BOUND_SECONDS)
    assert is_gone(arrivals["r1"].pid)
    assert is_gone(arrivals["r2"].pid)
    arrivals["r1"].connection.close()


def test_after_closing_no_invocation_runs_and_none_waits(pools, rendezvous, invoker):
    pool = pools(1)
    under_way = invoke(invoker, pool, "r1", port=rendezvous.port)
    held = rendezvous.next_arrival()
    waiting = invoke(invoker, pool, "r2", port=rendezvous.port)
    wait_until(lambda: pool.counts().waiting == 1)

    pool.close()

    with pytest.raises(PoolClosed):
        waiting.result(BOUND_SECONDS)
    with pytest.raises(PoolClosed):
        invoke(invoker, pool, "r3").result(BOUND_SECONDS)
    with pytest.raises(ContainerLost):
        under_way.result(BOUND_SECONDS)
    assert pool.counts() == PoolCounts(containers=0, busy=0, idle=0, waiting=0)
    held.connection.close()


def test_the_gateway_runs_a_real_function_in_a_container_with_the_functions_environment():
    # The function reads its caller's memberships from the table: an emulator, provisioned as the stack does.
    from infrastructure.local.aws.emulator import Emulator
    from infrastructure.local.aws.provisioning import provision

    emulator = Emulator("127.0.0.1", 0)
    endpoint = emulator.start()
    try:
        resources = provision(endpoint, "us-east-1")
        environment = {**os.environ, **handler_environment(resources), "PYTHONUNBUFFERED": "1"}
        containers = LambdaContainers(resources, environment=environment)
        gateway = LocalApiGateway(
            authorizer=FakeAuthorizer(),
            invoke=containers.invoke,
            stage=ApiStage(account_id="123456789012", api_id="local", stage="v1"),
            openapi=lambda: "{}",
        )
        try:
            response = gateway.handle(request("GET", "/me"))
            counts = containers.counts("me")
        finally:
            containers.close()
    finally:
        emulator.stop()

    assert response.status == 200, response.body
    assert json.loads(response.body) == {
        "user_id": "user-1",
        "email": None,
        "sign_in_mode": "local",
        "tenant_id": None,  # a user the table knows no membership of
        "organization": None,
        "role": None,
        "organizations": [],
    }
    assert (counts.containers, counts.busy, counts.waiting) == (1, 0, 0)
