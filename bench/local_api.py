"""The local API under load: ``GET /me`` alone, and ``GET /connections`` from 1 and from 16 clients at once.

The stack is ``make run``'s (``python -m infrastructure.local run`` on free ports, in its own process, so the
clients here do not share its interpreter: ``infrastructure.local.launch``, as the integration tests start it);
the demo user signs in and connects the demo account once. Each
client thread keeps one HTTP/1.1 connection open, as a browser or SDK does. One client and sixteen take turns,
round after round: each figure is a median over the rounds (the throughput ratio, of each round's own ratio).
Every container a function needs is started before anything is measured: a cold start is not what these figures
are about.

Where /proc exists, the CPU time one request costs is split between the stack's own process (the HTTP server and
the authorizer), its AWS emulator's process and its function containers: the busiest one interpreter bounds what
concurrency can gain.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import jwt

from bench._environment import offline
from bench._figures import Figure
from infrastructure.local.aws.emulator import DUMMY_CREDENTIALS, EMULATOR_MODULE
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.aws.users import sign_in as sign_in_tokens
from infrastructure.local.launch import LaunchedStack, running_local_stack
from infrastructure.local.stack_info import StackInfo

ME_REQUESTS = 200
# Short rounds, many of them: what else the machine runs varies within seconds, and each ratio is taken within
# one round.
ROUNDS = 10
REQUESTS_PER_CLIENT = {1: 40, 16: 10}  # 40 and 160 requests a round
CONCURRENT_CLIENTS = 16


@dataclass(frozen=True)
class Burst:
    """What ``clients`` clients, each sending its requests one after another, measured."""

    seconds: float
    latencies: list[float]

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds


class Client:
    """One keep-alive connection, as one browser tab or SDK client holds it."""

    def __init__(self, api_url: str, token: str) -> None:
        target = urlsplit(api_url)
        self._connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> float:
        started = time.perf_counter()
        try:
            response = self._send("GET", path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a connection idle for 5 s (a client that waited out another's turn): reconnect,
            # as a pooling client (urllib3) does.
            self._connection.close()
            started = time.perf_counter()
            response = self._send("GET", path)
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
        return elapsed

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        response = self._send("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return response.status, response.read()

    def _send(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        self._connection.request(method, path, body=body, headers={**self._headers, **(headers or {})})
        return self._connection.getresponse()

    def close(self) -> None:
        self._connection.close()


def burst(clients: list[Client], path: str, requests_per_client: int) -> Burst:
    """Every client sends ``requests_per_client`` requests, all clients at once (released together)."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[BaseException] = []
    start = threading.Barrier(len(clients) + 1)

    def work(index: int) -> None:
        start.wait()
        try:
            for _ in range(requests_per_client):
                latencies[index].append(clients[index].get(path))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Burst(seconds, [latency for own in latencies for latency in own])


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


class StackCpu:
    """CPU seconds used by the stack's own process (the HTTP server and the authorizer), its AWS emulator's process
    and its function containers (its other children), from Linux's /proc."""

    def __init__(self, stack: LaunchedStack) -> None:
        self._stack = stack
        self.available = Path(f"/proc/{stack.process.pid}/stat").exists()

    def now(self) -> tuple[float, float, float]:
        if not self.available:
            return 0.0, 0.0, 0.0
        emulator = containers = 0.0
        for pid, command in self._stack.children().items():
            with contextlib.suppress(OSError):  # a container that has just ended
                if EMULATOR_MODULE in command:
                    emulator += _cpu_seconds(pid)
                else:
                    containers += _cpu_seconds(pid)
        return _cpu_seconds(self._stack.process.pid), emulator, containers


def _cpu_seconds(pid: int) -> float:
    # utime and stime, the 14th and 15th fields of /proc/<pid>/stat (counted after the command name).
    stat_fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat_fields[11]) + int(stat_fields[12])) / os.sysconf("SC_CLK_TCK")


class TableReadsOfMe:
    """What ``GET /me`` reads from the table (``tenancy.authorize``'s Query of the caller's partition, and
    ``Organizations.mine``'s BatchGetItem of their names), made by this process with the layer's stores and a
    client like the function's: the part of the route's time that is the emulated DynamoDB's."""

    def __init__(self, info: StackInfo, token: str) -> None:
        from cloudivize.repository import Table
        from cloudivize.store.memberships import MembershipStore
        from cloudivize.store.tenants import TenantStore

        resources = info.resources
        table = Table(resources.table_name, aws_resource("dynamodb", resources).Table(resources.table_name))
        self._memberships = MembershipStore(table)
        self._tenants = TenantStore(table, sealer=None)  # names() unseals nothing
        self._user_id = jwt.decode(token, options={"verify_signature": False})["sub"]

    def time(self) -> float:
        started = time.perf_counter()
        organizations = self._memberships.of_user(self._user_id)
        if not self._tenants.names(list(organizations.roles)):
            raise RuntimeError("The demo user's organizations have no names: not what GET /me reads.")
        return time.perf_counter() - started


def aws_resource(service: str, resources: AwsResources) -> Any:
    return boto3.resource(
        service, endpoint_url=resources.aws_endpoint_url, region_name=resources.region, **DUMMY_CREDENTIALS
    )


def sign_in(info: StackInfo) -> str:
    return sign_in_tokens(info.resources, info.demo_username, info.demo_password)["IdToken"]


def run() -> Iterable[Figure]:
    offline()
    with running_local_stack() as stack:
        info = stack.info
        assert info is not None
        cpu = StackCpu(stack)
        cpu_used = [0.0, 0.0, 0.0]  # stack, emulator, containers: over every one-client burst
        token = sign_in(info)
        clients = [Client(info.api_url, token) for _ in range(CONCURRENT_CLIENTS)]
        try:
            status, body = clients[0].post(
                "/connections",
                {"provider": "aws", "name": "Demo", "role_arn": info.demo_role_arn, "regions": ["us-east-1"]},
            )
            if status != 201:
                raise RuntimeError(f"POST /connections answered {status}: {body[:300]!r}")
            # Warm: every container the measured bursts use is started (and its imports done) now.
            burst(clients, "/connections", 4)
            burst(clients, "/me", 4)

            # Side by side, taking turns: GET /me, and the two reads its function must make (the caller's memberships,
            # for authority; their organizations' names), made from here with the layer's own stores.
            reads = TableReadsOfMe(info, token)
            me, alone = [], []
            for _ in range(ME_REQUESTS):
                me.append(clients[0].get("/me"))
                alone.append(reads.time())
            yield Figure("local_api_me_p50_ms_c1", statistics.median(me) * 1000, 1)
            yield Figure("local_api_me_its_table_reads_p50_ms", statistics.median(alone) * 1000, 1)
            beyond = statistics.median(whole - reads for whole, reads in zip(me, alone, strict=True))
            yield Figure("local_api_me_p50_ms_c1_beyond_its_table_reads", beyond * 1000, 1)

            by_clients: dict[int, list[Burst]] = {1: [], CONCURRENT_CLIENTS: []}
            for _ in range(ROUNDS):
                before = cpu.now()
                by_clients[1].append(burst(clients[:1], "/connections", REQUESTS_PER_CLIENT[1]))
                cpu_used = [used + after - then for used, after, then in zip(cpu_used, cpu.now(), before, strict=True)]
                clients_at_once = clients[:CONCURRENT_CLIENTS]
                by_clients[CONCURRENT_CLIENTS].append(
                    burst(clients_at_once, "/connections", REQUESTS_PER_CLIENT[CONCURRENT_CLIENTS])
                )
        finally:
            for client in clients:
                client.close()

    c1 = statistics.median(b.requests_per_second for b in by_clients[1])
    c16 = statistics.median(b.requests_per_second for b in by_clients[CONCURRENT_CLIENTS])
    # Each round's 16 clients against the 1 just before: the two saw the same load from the rest of the machine.
    paired = statistics.median(
        many.requests_per_second / one.requests_per_second
        for one, many in zip(by_clients[1], by_clients[CONCURRENT_CLIENTS], strict=True)
    )
    # Per round, then the median: a stall of the whole machine in one round (others share its cores) is not the
    # stack's tail.
    p50 = statistics.median(statistics.median(b.latencies) for b in by_clients[CONCURRENT_CLIENTS])
    p99 = statistics.median(percentile(b.latencies, 99) for b in by_clients[CONCURRENT_CLIENTS])
    yield Figure("local_api_connections_c1_rps", c1, 1)
    yield Figure("local_api_connections_c16_rps", c16, 1)
    yield Figure("local_api_connections_c16_vs_c1_throughput", paired)
    yield Figure("local_api_connections_c16_p50_ms", p50 * 1000, 1)
    yield Figure("local_api_connections_c16_p99_ms", p99 * 1000, 1)
    yield Figure("local_api_connections_c16_p99_vs_p50", p99 / p50)
    if cpu.available:
        alone = sum(len(b.latencies) for b in by_clients[1])
        yield Figure("local_api_connections_stack_cpu_ms_per_request", cpu_used[0] / alone * 1000, 1)
        yield Figure("local_api_connections_emulator_cpu_ms_per_request", cpu_used[1] / alone * 1000, 1)
        yield Figure("local_api_connections_containers_cpu_ms_per_request", cpu_used[2] / alone * 1000, 1)
