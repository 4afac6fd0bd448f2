"""Runs the functions in this process the way the Lambda runtime runs them in AWS.

Same handler modules (found through the route table's function specs), the same environment variables the
CDK stack gives them (``function_environment``), a context object with the attributes handlers and Powertools
read, and one invocation at a time, as in a single warm execution environment.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from infrastructure import constants
from infrastructure.function_environment import function_environment
from infrastructure.local.aws.emulator import DUMMY_CREDENTIALS
from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.shared_layer import make_layer_importable
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS, CorsPolicy
from infrastructure.routes import FUNCTIONS, FunctionSpec

log = logging.getLogger(__name__)

# Handler modules are process-wide (one Powertools logger, cached clients): like a single warm execution
# environment, they serve one invocation at a time, whichever runtime object asks.
_ONE_INVOCATION_AT_A_TIME = threading.Lock()

Handler = Callable[[dict[str, Any], Any], Any]


DEFAULT_CORS = CorsPolicy(allowed_origins=DEFAULT_ALLOWED_ORIGINS)


def handler_environment(resources: AwsResources, cors: CorsPolicy = DEFAULT_CORS) -> dict[str, str]:
    """The environment every function gets: the deployed functions' own, pointed at the emulator, plus what the
    Lambda runtime itself provides (region, credentials) and what only the local stack needs."""
    return {
        **function_environment(
            table_name=resources.table_name,
            field_key_arn=resources.field_key_arn,
            idempotency_table_name=resources.idempotency_table_name,
            customer_access_role_arn=resources.customer_access_role_arn,
            onboarding_template_url=resources.onboarding_template_url,
            cors=cors,
        ),
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


def install_handler_environment(resources: AwsResources, cors: CorsPolicy = DEFAULT_CORS) -> None:
    """Give this process the functions' environment. Call it before any handler module is imported:
    Powertools and the cached clients read the environment once."""
    os.environ.update(handler_environment(resources, cors))


def load_function_module(spec: FunctionSpec) -> ModuleType:
    make_layer_importable()
    return importlib.import_module(spec.module)


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started_at: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started_at
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class LambdaRuntime:
    """Invokes functions by name, with a fresh context per invocation."""

    def __init__(self, resources: AwsResources) -> None:
        self._resources = resources

    def function_name(self, spec: FunctionSpec) -> str:
        return f"{constants.SERVICE_NAME}-{spec.name}"

    def new_context(self, spec: FunctionSpec) -> LambdaContext:
        name = self.function_name(spec)
        return LambdaContext(
            function_name=name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self._resources.region}:{self._resources.account_id}:function:{name}",
            timeout_seconds=spec.timeout_seconds,
        )

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        spec = FUNCTIONS[function_name]
        handler: Handler = load_function_module(spec).lambda_handler
        with _ONE_INVOCATION_AT_A_TIME:
            context = self.new_context(spec)
            # What the Lambda runtime sets per function (Powertools idempotency keys records by the name).
            os.environ.update(
                AWS_LAMBDA_FUNCTION_NAME=context.function_name,
                AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(context.memory_limit_in_mb),
                AWS_LAMBDA_FUNCTION_VERSION=context.function_version,
            )
            result = handler(event, context)
        elapsed = time.monotonic() - context.started_at
        if elapsed > spec.timeout_seconds:
            # Lambda would have killed the invocation; locally it ran on, so say it loudly.
            log.warning("%s ran %.1f s, over its %d s timeout", function_name, elapsed, spec.timeout_seconds)
        return result
