"""Runs the functions the way the Lambda runtime runs them in AWS.

Same handler modules (found through the route table's function specs), the same environment variables the
CDK stack gives them (``function_environment``), and a context object with the attributes handlers and
Powertools read. Two ways to host them:

- ``LambdaContainers``, what the local stack serves: each function has its own warm containers, each a process
  (``lambda_container``) that runs one invocation at a time, as Lambda's execution environments do. An
  invocation takes a free container of its function, starts one more while the function has fewer than its
  limit (like a reserved concurrency), or else waits its turn. Invocations of one function run side by side.
  ``warm`` starts one container per API function ahead of any request, as provisioned concurrency would.
- ``LambdaRuntime``: the handler modules in this process, one invocation at a time across every function (they
  share this process's module globals, the Powertools logger's keys among them). For what must reach the
  handlers from this process: the post-confirmation trigger run at sign-up, and tests that patch what a
  function calls.

Why containers are processes rather than threads: docs/performance.md, "Local API".
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from infrastructure import constants
from infrastructure.function_environment import AzureCloud, function_environment
from infrastructure.local.aws.emulator import DUMMY_CREDENTIALS
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.child_process import ChildLost, ChildProcess
from infrastructure.local.lambda_container import LambdaContext
from infrastructure.local.shared_layer import make_layer_importable
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS, CorsPolicy
from infrastructure.routes import FUNCTIONS, ROUTES, FunctionSpec, route_policy

__all__ = [
    "API_FUNCTIONS",
    "AzureTarget",
    "ContainerLost",
    "ContainerPool",
    "FunctionError",
    "LambdaContainers",
    "LambdaContext",
    "LambdaRuntime",
    "PoolClosed",
    "PoolCounts",
    "handler_environment",
    "install_handler_environment",
    "load_function_module",
]

log = logging.getLogger(__name__)

CONTAINER_MODULE = "infrastructure.local.lambda_container"
# Per function, as a reserved concurrency would cap it: more than a laptop's cores can keep busy, few enough
# that a burst does not start dozens of processes (~75 MiB each).
DEFAULT_MAX_CONTAINERS = 4
# Only a bound for an init that never ends (a hung import): a loaded laptop takes seconds.
INIT_TIMEOUT_SECONDS = 120
# What API Gateway invokes: the functions whose containers the stack warms before it is ready (not the trigger).
API_FUNCTIONS = tuple(dict.fromkeys(route.function for route in ROUTES))

# Handler modules in this process share its globals (one Powertools logger, cached clients): like a single warm
# execution environment, they serve one invocation at a time, whichever runtime object asks.
_ONE_INVOCATION_AT_A_TIME = threading.Lock()

Handler = Callable[[dict[str, Any], Any], Any]


DEFAULT_CORS = CorsPolicy(allowed_origins=DEFAULT_ALLOWED_ORIGINS)


@dataclass(frozen=True)
class AzureTarget:
    """Which Azure the local functions call: the demo Azure at ``url``, whose CA (``ca_file``) they alone trust, or,
    with no ``url``, the real one (the public cloud: the Azure SDKs' defaults), where the local stack's issuer means
    nothing, so federated credentials are not offered."""

    url: str | None = None
    ca_file: Path | None = None

    @property
    def real(self) -> bool:
        return self.url is None


REAL_AZURE = AzureTarget()


def handler_environment(
    resources: AwsResources, cors: CorsPolicy = DEFAULT_CORS, azure: AzureTarget = REAL_AZURE
) -> dict[str, str]:
    """The environment every function gets: the deployed functions' own, pointed at the emulator (and the demo
    Azure), plus what the Lambda runtime itself provides (region, credentials) and what only the local stack
    needs."""
    demo_azure = {"REQUESTS_CA_BUNDLE": str(azure.ca_file)} if azure.ca_file is not None else {}
    return {
        **function_environment(
            table_name=resources.table_name,
            field_key_arn=resources.field_key_arn,
            idempotency_table_name=resources.idempotency_table_name,
            customer_access_role_arn=resources.customer_access_role_arn,
            onboarding_template_url=resources.onboarding_template_url,
            onboarding_organization_template_url=resources.onboarding_organization_template_url,
            cors=cors,
            route_policy=route_policy(),  # every function's routes: one environment serves them all here
            audit_table_name=resources.audit_table_name,
            azure=AzureCloud(authority_host=azure.url, resource_manager_url=azure.url),
            azure_federation_issuer=None if azure.real else resources.web_identity_issuer,
        ),
        **demo_azure,  # requests (under the Azure SDK) trusts the demo Azure's CA, and only it
        # Provided by the Lambda runtime.
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        # Local only.
        "AWS_ENDPOINT_URL": resources.aws_endpoint_url,
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would only clutter the console
        "POWERTOOLS_DEV": "false",
    }


def install_handler_environment(
    resources: AwsResources, cors: CorsPolicy = DEFAULT_CORS, azure: AzureTarget = REAL_AZURE
) -> None:
    """Give this process the functions' environment. Call it before any handler module is imported:
    Powertools and the cached clients read the environment once."""
    os.environ.update(handler_environment(resources, cors, azure))


def load_function_module(spec: FunctionSpec) -> ModuleType:
    make_layer_importable()
    return importlib.import_module(spec.module)


def function_name(spec: FunctionSpec) -> str:
    return f"{constants.SERVICE_NAME}-{spec.name}"


def new_context(resources: AwsResources, spec: FunctionSpec) -> LambdaContext:
    """The context of one invocation of ``spec``, its clock started now."""
    name = function_name(spec)
    return LambdaContext(
        function_name=name,
        memory_limit_in_mb=spec.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{resources.region}:{resources.account_id}:function:{name}",
        timeout_seconds=spec.timeout_seconds,
    )


def runtime_variables(context: LambdaContext) -> dict[str, str]:
    """What the Lambda runtime sets per function (Powertools idempotency keys records by the name)."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": context.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context.memory_limit_in_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": context.function_version,
    }


def _warn_if_over_timeout(spec: FunctionSpec, context: LambdaContext) -> None:
    elapsed = time.monotonic() - context.started_at
    if elapsed > spec.timeout_seconds:
        # Lambda would have killed the invocation; locally it ran on, so say it loudly.
        log.warning("%s ran %.1f s, over its %d s timeout", spec.name, elapsed, spec.timeout_seconds)


class LambdaRuntime:
    """Invokes functions by name in this process, with a fresh context per invocation, one at a time."""

    def __init__(self, resources: AwsResources) -> None:
        self._resources = resources

    def new_context(self, spec: FunctionSpec) -> LambdaContext:
        return new_context(self._resources, spec)

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        spec = FUNCTIONS[function_name]
        handler: Handler = load_function_module(spec).lambda_handler
        with _ONE_INVOCATION_AT_A_TIME:
            context = self.new_context(spec)
            os.environ.update(runtime_variables(context))  # this process's functions take turns in it
            result = handler(event, context)
        _warn_if_over_timeout(spec, context)
        return result


class FunctionError(Exception):
    """The function raised, or returned what is not JSON (Lambda's "Unhandled" function error)."""


class ContainerLost(FunctionError):
    """The container's process ended during the invocation (it crashed, was killed, or the stack is stopping)."""


class PoolClosed(Exception):
    """The local stack is stopping: no container takes another invocation."""


class Container:
    """One warm container: its process (``lambda_container``), and the link its invocations go over, one at a time.

    The process says when its init (the handler module's imports) is done; an invocation sent before that waits
    for it, as Lambda's first invocation waits for the init phase."""

    def __init__(self, module: str, environment: Mapping[str, str]) -> None:
        self._child = ChildProcess(CONTAINER_MODULE, [module], environment)
        self._initialized = False

    @property
    def pid(self) -> int:
        return self._child.pid

    def await_init(self, timeout: float | None = None) -> None:
        """Return once the init is done; ``ContainerLost`` if the process ended, ``TimeoutError`` if still busy."""
        if self._initialized:
            return
        try:
            self._child.receive(timeout)  # whether the init failed or not: each invocation then answers it
        except ChildLost as error:
            raise ContainerLost(f"the container: {error}") from error
        self._initialized = True

    def invoke(self, event: dict[str, Any], context: LambdaContext) -> Any:
        """The handler's result; raises ``FunctionError`` for what it raised, ``ContainerLost`` if it died."""
        self.await_init()
        try:
            self._child.send({"event": event, "context": context.fields()})
            reply = self._child.receive()
        except ChildLost as error:
            raise ContainerLost(f"the container: {error}") from error
        if "error" in reply:
            raise FunctionError(f"{reply['error']['type']}: {reply['error']['message']}")
        return reply["result"]

    def end(self) -> None:
        """Stop the process, whatever it is doing (an invocation under way then fails as ``ContainerLost``)."""
        self._child.end()

    def close(self) -> None:
        """Stop the process and release the link; only by the one thread that holds the container."""
        self._child.close()


@dataclass
class _Turn:
    """An invocation waiting for a container of its function: handed one, or the right to start one."""

    ready: threading.Event = field(default_factory=threading.Event)
    container: Container | None = None
    may_start: bool = False


@dataclass(frozen=True)
class PoolCounts:
    containers: int  # started and not lost (busy, idle, or starting)
    busy: int
    idle: int  # warm and free: the next invocation takes one of these
    waiting: int  # invocations waiting for a container


class ContainerPool:
    """One function's warm containers. An invocation takes the container that finished last (the warmest, as
    Lambda reuses them), or starts a new one while there are fewer than ``max_containers``, or else waits: each
    container handed back goes to the invocation that has waited longest."""

    def __init__(self, module: str, environment: Mapping[str, str], *, max_containers: int) -> None:
        if max_containers < 1:
            raise ValueError("a function needs at least one container")
        self._module, self._environment, self._max_containers = module, dict(environment), max_containers
        self._lock = threading.Lock()
        self._idle: list[Container] = []
        self._busy: set[Container] = set()
        self._starting = 0
        self._turns: deque[_Turn] = deque()
        self._closed = False

    def counts(self) -> PoolCounts:
        with self._lock:
            containers = len(self._idle) + len(self._busy) + self._starting
            return PoolCounts(
                containers=containers, busy=len(self._busy), idle=len(self._idle), waiting=len(self._turns)
            )

    def warm(self) -> None:
        """Start a container and wait for its init, so that the first invocation finds it idle; nothing when the
        pool has a container already."""
        with self._lock:
            if self._closed:
                raise PoolClosed
            if self._idle or self._busy or self._starting:
                return
            self._starting += 1
        container = self._start()
        try:
            container.await_init(timeout=INIT_TIMEOUT_SECONDS)
        except BaseException:
            self._lose(container)
            raise
        self._give_back(container)

    def invoke(self, event: dict[str, Any], context: LambdaContext) -> Any:
        container = self._take()
        answered = False
        try:
            result = container.invoke(event, context)
            answered = True
            return result
        except FunctionError as error:
            answered = not isinstance(error, ContainerLost)  # a container that answered serves the next one
            raise
        finally:
            if answered:
                self._give_back(container)
            else:
                self._lose(container)

    def close(self) -> None:
        """Stop every container; invocations under way or waiting fail."""
        with self._lock:
            self._closed = True
            idle, busy, turns = self._idle[:], list(self._busy), list(self._turns)
            self._idle.clear()
            self._turns.clear()
        for turn in turns:
            turn.ready.set()
        for container in busy:
            container.end()  # the invocation fails at once; its thread closes the container
        for container in idle:
            container.close()

    def _take(self) -> Container:
        with self._lock:
            if self._closed:
                raise PoolClosed
            if self._idle:
                container = self._idle.pop()
                self._busy.add(container)
                return container
            turn = None
            if len(self._idle) + len(self._busy) + self._starting < self._max_containers:
                self._starting += 1
            else:
                turn = _Turn()
                self._turns.append(turn)
        if turn is not None:
            turn.ready.wait()
            if turn.container is not None:
                return turn.container
            if not turn.may_start:
                raise PoolClosed
        return self._start()

    def _start(self) -> Container:
        # Outside the lock: returns once the process exists; its imports (the cold start) overlap the first call.
        try:
            container = Container(self._module, self._environment)
        except BaseException:
            with self._lock:
                self._starting -= 1
                self._hand_on_the_right_to_start()
            raise
        with self._lock:
            self._starting -= 1
            closed = self._closed
            if not closed:
                self._busy.add(container)
        if closed:
            container.close()
            raise PoolClosed
        return container

    def _give_back(self, container: Container) -> None:
        with self._lock:
            self._busy.discard(container)
            if not self._closed:
                if self._turns:
                    turn = self._turns.popleft()
                    turn.container = container
                    self._busy.add(container)
                    turn.ready.set()
                else:
                    self._idle.append(container)
                return
        container.close()

    def _lose(self, container: Container) -> None:
        with self._lock:
            self._busy.discard(container)
            self._hand_on_the_right_to_start()
        container.close()

    def _hand_on_the_right_to_start(self) -> None:
        """A place below the limit has come free: the longest waiting invocation starts a container in it."""
        if self._turns and not self._closed:
            turn = self._turns.popleft()
            self._starting += 1
            turn.may_start = True
            turn.ready.set()


class LambdaContainers:
    """Invokes functions by name, each in warm containers of its own (``ContainerPool``): up to
    ``max_containers`` invocations of one function run at once, as in Lambda.

    The containers get ``environment`` (by default this process's, which ``LocalStack`` has given the handler
    environment) and the variables the Lambda runtime sets per function.
    """

    def __init__(
        self,
        resources: AwsResources,
        *,
        max_containers: int = DEFAULT_MAX_CONTAINERS,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self._resources, self._max_containers = resources, max_containers
        self._environment = dict(os.environ if environment is None else environment)
        self._pools: dict[str, ContainerPool] = {}
        self._lock = threading.Lock()
        self._closed = False

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        spec = FUNCTIONS[function_name]
        context = new_context(self._resources, spec)
        result = self._pool(spec).invoke(event, context)
        _warn_if_over_timeout(spec, context)
        return result

    def warm(self, function_names: Iterable[str] = API_FUNCTIONS) -> None:
        """One container per function started, side by side, and back once each has done its init: the first
        request of each pays no cold start."""
        pools = [self._pool(FUNCTIONS[name]) for name in function_names]
        with ThreadPoolExecutor(max_workers=max(1, len(pools)), thread_name_prefix="warm") as starting:
            for started in [starting.submit(pool.warm) for pool in pools]:
                started.result()

    def counts(self, function_name: str) -> PoolCounts:
        with self._lock:
            pool = self._pools.get(function_name)
        return pool.counts() if pool is not None else PoolCounts(containers=0, busy=0, idle=0, waiting=0)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
        for pool in pools:
            pool.close()

    def _pool(self, spec: FunctionSpec) -> ContainerPool:
        with self._lock:
            if self._closed:
                raise PoolClosed
            pool = self._pools.get(spec.name)
            if pool is None:
                environment = {
                    **self._environment,
                    **runtime_variables(new_context(self._resources, spec)),
                    "PYTHONUNBUFFERED": "1",  # each log line reaches the stack's output as it is written
                }
                pool = self._pools[spec.name] = ContainerPool(
                    spec.module, environment, max_containers=self._max_containers
                )
            return pool
