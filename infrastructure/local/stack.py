"""``run``: start the emulator, provision it, add the demo user and their "customer" AWS account, serve the API
until Ctrl-C or SIGTERM. ``LocalStack`` is that start-up and shutdown, for ``run`` and for in-process tests."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import boto3

from infrastructure.local.api_server import ApiServer
from infrastructure.local.authorizer import CognitoAuthorizer
from infrastructure.local.cloudtrail_lookup import empty_cloudtrail_lookup
from infrastructure.local.customer_account import DEMO_REGIONS, CustomerAccount, seed_customer_account
from infrastructure.local.docs import DOCS_PATH, openapi_document
from infrastructure.local.emulator import (
    DEFAULT_REGION,
    DUMMY_CREDENTIALS,
    AwsResources,
    Emulator,
    detach_from_real_aws,
    provision,
)
from infrastructure.local.events import ApiStage
from infrastructure.local.gateway import LocalApiGateway
from infrastructure.local.lambda_runtime import LambdaRuntime, install_handler_environment
from infrastructure.local.stack_info import StackInfo
from infrastructure.local.trust_enforcement import trust_policies_enforced
from infrastructure.local.users import add_user
from infrastructure.resources import API_STAGE_NAME

DEMO_USERNAME = "demo@cloudivize.local"
DEMO_PASSWORD = "Cloudivize-Demo-2024!"  # noqa: S105 - the documented password of the local demo user
API_ID = "local"
LOOPBACK = "127.0.0.1"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    aws_port: int
    region: str
    info_file: Path


class LocalStack:
    """The whole local stack in this process: emulator, provisioning, demo user and account, the API server.

    ``run`` serves one until a signal; integration tests start one in the test process to patch what runs
    inside it (botocore Stubbers for refusals the emulator cannot produce). ``stop`` undoes everything
    ``start`` did, the process environment included.
    """

    def __init__(
        self, *, host: str = LOOPBACK, api_port: int = 0, aws_port: int = 0, region: str = DEFAULT_REGION
    ) -> None:
        self._host, self._api_port, self._aws_port, self._region = host, api_port, aws_port, region
        self._cleanup = contextlib.ExitStack()
        self._info: StackInfo | None = None

    @property
    def info(self) -> StackInfo:
        """What ``run`` writes to the info file: URLs, ids, demo credentials and demo role."""
        if self._info is None:
            raise RuntimeError("The local stack is not running.")
        return self._info

    def start(self) -> StackInfo:
        try:
            self._info = self._start(self._cleanup)
        except BaseException:
            self._cleanup.close()  # what did start is stopped again, in reverse order
            raise
        return self._info

    def stop(self) -> None:
        self._info = None
        self._cleanup.close()

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self, cleanup: contextlib.ExitStack) -> StackInfo:
        cleanup.callback(_restore_environment, dict(os.environ))  # registered first, so undone last
        detach_from_real_aws()  # this process talks to the emulator only
        emulator = Emulator(self._host, self._aws_port)
        endpoint_url = emulator.start()
        cleanup.callback(emulator.stop)
        resources = provision(endpoint_url, self._region)
        # From here on the emulator refuses AssumeRole as AWS does (moto alone lets anyone assume any role),
        # and answers CloudTrail lookups with an empty trail (moto answers them with an error).
        cleanup.enter_context(trust_policies_enforced(resources.account_id))
        cleanup.enter_context(empty_cloudtrail_lookup())
        install_handler_environment(resources)  # before any handler module loads
        demo_user = add_user(resources, DEMO_USERNAME, DEMO_PASSWORD)
        demo_account = seed_demo_customer_account(resources, demo_user.tenant_id)

        gateway = LocalApiGateway(
            authorizer=CognitoAuthorizer.for_user_pool(resources),
            invoke=LambdaRuntime(resources).invoke,
            stage=ApiStage(account_id=resources.account_id, api_id=API_ID, stage=API_STAGE_NAME),
            openapi=openapi_document,
        )
        api = ApiServer(self._host, self._api_port, gateway)
        api.start()
        cleanup.callback(api.stop)
        return StackInfo(
            api.url,
            resources,
            DEMO_USERNAME,
            DEMO_PASSWORD,
            demo_role_arn=demo_account.role_arn,
            demo_customer_account_id=demo_account.account_id,
        )


def seed_demo_customer_account(resources: AwsResources, tenant_id: str) -> CustomerAccount:
    """The demo tenant's "customer" AWS account: the role Cloudivize's onboarding asks for, trusting only the
    customer-access role with the demo tenant's External ID, and a few instances in two regions.

    The role also gets the template's operate policy (AllowOperations=true), so the demo can start, stop,
    reboot and tag; a read-only role is what ``seed_customer_account`` makes by default.
    """
    # Layer modules load Powertools, which must see the handler environment first: imported on use.
    from cloudivize.aws_access.onboarding import trust_policy
    from cloudivize.crypto import FieldSealer
    from cloudivize.repository import Table
    from cloudivize.tenants import read_external_id

    table = boto3.resource(
        "dynamodb", endpoint_url=resources.aws_endpoint_url, region_name=resources.region, **DUMMY_CREDENTIALS
    ).Table(resources.table_name)
    external_id = read_external_id(Table(resources.table_name, table), FieldSealer(resources.field_key_arn), tenant_id)
    if external_id is None:
        raise RuntimeError(f"The demo tenant {tenant_id} has no External ID: the post-confirmation trigger failed.")
    return seed_customer_account(
        trust_policy=trust_policy(resources.customer_access_role_arn, external_id),
        allow_operations=True,
        endpoint_url=resources.aws_endpoint_url,
    )


def run_local_stack(options: RunOptions) -> int:
    stop = threading.Event()
    # Installed first, so a signal during start-up still ends in the same clean shutdown.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _set_on_signal(stop))

    stack = LocalStack(host=options.host, api_port=options.api_port, aws_port=options.aws_port, region=options.region)
    with stack, contextlib.ExitStack() as cleanup:
        info = stack.info
        info.write(options.info_file)
        # A stale file would point tools at a stack that is gone.
        cleanup.callback(options.info_file.unlink, missing_ok=True)
        print(banner(info, options.info_file), flush=True)

        stop.wait()
        log.info("Stopping the local stack")
    return 0


def _restore_environment(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)


def _set_on_signal(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


def banner(info: StackInfo, info_file: Path) -> str:
    resources = info.resources
    info_option = f"--info-file {shlex.quote(str(info_file))}"
    api, auth = info.api_url, '-H "Authorization: Bearer $TOKEN"'
    # Naming the regions keeps the listing quick: without them every enabled region is asked (moto has ~30).
    connect = json.dumps(
        {"provider": "aws", "name": "Demo", "role_arn": info.demo_role_arn, "regions": list(DEMO_REGIONS)},
        separators=(",", ":"),
    )
    regions = ", ".join(DEMO_REGIONS)
    read_id = """.venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])'"""
    return f"""
Cloudivize local stack is ready.

  API            {api}   (Swagger UI: {api}{DOCS_PATH})
  AWS emulator   {resources.aws_endpoint_url}   region {resources.region}
  User pool      {resources.user_pool_id}   app client {resources.client_id}
  Demo user      {info.demo_username} / {info.demo_password}
  Demo account   {info.demo_customer_account_id}   (a "customer" AWS account: instances in {regions})
  Demo role      {info.demo_role_arn}
                 trusts {resources.customer_access_role_arn} with the demo tenant's External ID;
                 allows viewing and operations (start, stop, reboot, tag)
  Info file      {info_file}

Try it:
  TOKEN=$(.venv/bin/python -m infrastructure.local token {info_option})
  curl {auth} {api}/me
  curl {auth} {api}/onboarding/aws

Connect the demo AWS account, list its instances, re-check the connection:
  CONNECTION=$(curl -s {auth} -H "Content-Type: application/json" {api}/connections \\
    -d '{connect}' \\
    | {read_id})
  curl {auth} "{api}/connections/$CONNECTION/assets?type=ec2:instance"
  curl {auth} -X POST {api}/connections/$CONNECTION/verify

Add a user:  .venv/bin/python -m infrastructure.local users add EMAIL PASSWORD {info_option}
Ctrl-C stops the stack.
"""
