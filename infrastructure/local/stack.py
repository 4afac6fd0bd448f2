"""``LocalStack``: start the emulator, provision it, add the demo user, their "customer" AWS account and AWS
organization, warm the functions' containers, serve the API; and stop it all again. ``run`` serves one until a
signal; tests start one in their own process."""

from __future__ import annotations

import contextlib
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import boto3

from infrastructure.local.aws.emulator import DEFAULT_REGION, DUMMY_CREDENTIALS, Emulator, detach_from_real_aws
from infrastructure.local.aws.provisioning import AwsResources, HostedSignIn, provision
from infrastructure.local.aws.users import add_user
from infrastructure.local.customer_account import DEMO_READ_ONLY_ROLE_NAME, CustomerAccount, seed_customer_account
from infrastructure.local.customer_azure import LocalAzure, start_demo_azure, trust_organization
from infrastructure.local.customer_organization import DemoOrganization, seed_organization
from infrastructure.local.gateway.api_server import ApiServer
from infrastructure.local.gateway.authorizer import CognitoAuthorizer
from infrastructure.local.gateway.docs import openapi_document
from infrastructure.local.gateway.proxy import LocalApiGateway
from infrastructure.local.gateway.proxy_event import ApiStage
from infrastructure.local.lambda_runtime import (
    REAL_AZURE,
    AzureTarget,
    LambdaContainers,
    LambdaRuntime,
    install_handler_environment,
)
from infrastructure.local.login.amazon import AmazonEndpoints, amazon_stand_in
from infrastructure.local.login.console import CONSOLE_DIST, console_app, console_config, origin
from infrastructure.local.login.http_server import HttpServer
from infrastructure.local.login.managed_login import IDP_RESPONSE_PATH, managed_login_app
from infrastructure.local.login.user_pool import UserPool
from infrastructure.local.stack_info import StackInfo
from infrastructure.resources import API_STAGE_NAME, DEFAULT_ALLOWED_ORIGINS, CorsPolicy

DEMO_USERNAME = "demo@cloudivize.local"
DEMO_PASSWORD = "Cloudivize-Demo-2024!"  # noqa: S105 - the documented password of the local demo user
API_ID = "local"
LOOPBACK = "127.0.0.1"


def api_stage(account_id: str) -> ApiStage:
    """Where the local API is "deployed", as the functions see it in their events."""
    return ApiStage(account_id=account_id, api_id=API_ID, stage=API_STAGE_NAME)


class LocalStack:
    """The whole local stack in this process: emulator, provisioning, demo user and account, the API server.

    ``run`` serves one until a signal; integration tests start one in the test process to patch what runs
    inside it (botocore Stubbers for refusals the emulator cannot produce). ``stop`` undoes everything
    ``start`` did, the process environment included.

    The AWS emulator runs in a process of its own (``Emulator``). The functions run in warm containers of their own
    (``LambdaContainers``: processes, several per function, as in Lambda; one per API function is warm before
    ``start`` returns), unless ``functions_in_this_process``: then in this process, one invocation at a time
    (``LambdaRuntime``), where what a test patches reaches them.
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        api_port: int = 0,
        aws_port: int = 0,
        auth_port: int = 0,
        amazon_port: int = 0,
        console_port: int = 0,
        region: str = DEFAULT_REGION,
        allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS,
        functions_in_this_process: bool = False,
        console_dist: Path = CONSOLE_DIST,
        azure_port: int = 0,
        real_azure: bool = False,
    ) -> None:
        self._host, self._api_port, self._aws_port, self._region = host, api_port, aws_port, region
        self._auth_port, self._amazon_port, self._console_port = auth_port, amazon_port, console_port
        self._functions_in_this_process = functions_in_this_process
        self._allowed_origins = allowed_origins  # the deployed stack's default, unless told; the console's joins
        self._console_dist = console_dist
        self._azure_port, self._real_azure = azure_port, real_azure
        self._cleanup = contextlib.ExitStack()
        self._info: StackInfo | None = None
        self._containers: LambdaContainers | None = None

    @property
    def info(self) -> StackInfo:
        """What ``run`` writes to the info file: URLs, ids, demo credentials and demo role."""
        if self._info is None:
            raise RuntimeError("The local stack is not running.")
        return self._info

    @property
    def containers(self) -> LambdaContainers:
        """The functions' warm containers (what a test counts); none when the functions run in this process."""
        if self._containers is None:
            raise RuntimeError("The local stack runs no containers: not started, or its functions run in-process.")
        return self._containers

    def start(self) -> StackInfo:
        try:
            self._info = self._start(self._cleanup)
        except BaseException:
            self.stop()  # what did start is stopped again, in reverse order
            raise
        return self._info

    def stop(self) -> None:
        self._info = self._containers = None
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
        # Bound first: the app client's CallbackURLs name the console's URL, and its port may be a free one.
        auth = HttpServer(self._host, self._auth_port, "managed login")
        cleanup.callback(auth.stop)
        amazon = HttpServer(self._host, self._amazon_port, "Amazon stand-in")
        cleanup.callback(amazon.stop)
        console = HttpServer(self._host, self._console_port, "console")
        cleanup.callback(console.stop)
        amazon_endpoints = AmazonEndpoints.from_environment(amazon.url)
        sign_in = HostedSignIn(console.url, amazon_endpoints.client_id, amazon_endpoints.client_secret)
        resources = provision(endpoint_url, self._region, sign_in)
        cors = CorsPolicy(allowed_origins=tuple(dict.fromkeys((*self._allowed_origins, origin(console.url)))))
        azure: LocalAzure | None = None
        if not self._real_azure:
            state = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cloudivize-azure-"))
            azure = start_demo_azure(self._host, self._azure_port, Path(state))
            cleanup.callback(azure.stop)
        target = AzureTarget(url=azure.url, ca_file=azure.ca_file) if azure else REAL_AZURE
        install_handler_environment(resources, cors, target)  # before any handler module loads
        warmed: Future[None] | None = None
        if self._functions_in_this_process:
            invoke = LambdaRuntime(resources).invoke
        else:
            # Shut down after the containers are closed (below, so undone first): a warm-up still under way then
            # ends at once.
            warming = cleanup.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm"))
            containers = self._containers = LambdaContainers(resources)  # given the handler environment above
            cleanup.callback(containers.close)  # after the API server has stopped taking requests
            invoke = containers.invoke
            # One container per API function does its init while the demo is seeded: the stack is ready only once
            # they are warm, so that no first request pays a cold start.
            warmed = warming.submit(containers.warm)
        demo_user = add_user(resources, DEMO_USERNAME, DEMO_PASSWORD)
        external_id = demo_external_id(resources, demo_user.tenant_id)
        demo_account = seed_demo_customer_account(resources, external_id)
        demo_organization = seed_demo_organization(resources, external_id)
        if azure is not None:
            trust_organization(azure, resources, external_id)  # the demo application's federated credential
        if warmed is not None:
            warmed.result()
        gateway = LocalApiGateway(
            authorizer=CognitoAuthorizer.for_user_pool(resources),
            invoke=invoke,
            stage=api_stage(resources.account_id),
            openapi=openapi_document,
            cors=cors,
        )
        api = ApiServer(self._host, self._api_port, gateway)
        api.start()
        cleanup.callback(api.stop)
        amazon.start(amazon_stand_in(amazon_endpoints, auth.url + IDP_RESPONSE_PATH))
        auth.start(
            managed_login_app(
                UserPool(resources), auth_url=auth.url, amazon=amazon_endpoints, cors_origins=(origin(console.url),)
            )
        )
        config = console_config(api_url=api.url, auth_url=auth.url, resources=resources, sign_in=sign_in)
        console.start(
            console_app(config, connect_to=(api.url, auth.url, resources.aws_endpoint_url), dist=self._console_dist)
        )
        return StackInfo(
            api.url,
            resources,
            DEMO_USERNAME,
            DEMO_PASSWORD,
            demo_role_arn=demo_account.role_arn,
            demo_customer_account_id=demo_account.account_id,
            auth_url=auth.url,
            oauth_redirect_uri=sign_in.callback_url,
            console_url=console.url,
            amazon_url=amazon.url,
            demo_read_only_role_arn=demo_account.read_only_role_arn,
            demo_azure=azure.as_info() if azure else None,
            demo_organization=demo_organization.as_info(),
        )


def demo_external_id(resources: AwsResources, tenant_id: str) -> str:
    """The demo organization's External ID, which its customer role trusts (and its Azure audience derives from)."""
    # Layer modules load Powertools, which must see the handler environment first: imported on use.
    from cloudivize.crypto import FieldSealer
    from cloudivize.repository import Table
    from cloudivize.tenants import read_external_id

    table = boto3.resource(
        "dynamodb", endpoint_url=resources.aws_endpoint_url, region_name=resources.region, **DUMMY_CREDENTIALS
    ).Table(resources.table_name)
    external_id = read_external_id(Table(resources.table_name, table), FieldSealer(resources.field_key_arn), tenant_id)
    if external_id is None:
        raise RuntimeError(f"The demo tenant {tenant_id} has no External ID: the post-confirmation trigger failed.")
    return external_id


def seed_demo_customer_account(resources: AwsResources, external_id: str) -> CustomerAccount:
    """The demo tenant's "customer" AWS account: the role Cloudivize's onboarding asks for, trusting only the
    customer-access role with the demo tenant's External ID, and a few instances in two regions.

    The role also gets the template's operate policy (AllowOperations=true), so the demo can start, stop,
    reboot and tag. Beside it, a read-only role (the template's default) with the same trust: connected, its
    stop is refused as AWS refuses it (``permission_enforcement``), to show what a denied action looks like.
    """
    from cloudivize.aws_access.onboarding import trust_policy

    return seed_customer_account(
        trust_policy=trust_policy(resources.customer_access_role_arn, external_id),
        allow_operations=True,
        endpoint_url=resources.aws_endpoint_url,
        read_only_role_name=DEMO_READ_ONLY_ROLE_NAME,
    )


def seed_demo_organization(resources: AwsResources, external_id: str) -> DemoOrganization:
    """The demo tenant's "customer" AWS organization (``customer_organization``): its discovery role, and the
    customer role of each of its three member accounts, trust the customer-access role with the demo tenant's
    External ID, as the organization template makes them."""
    return seed_organization(
        resources.aws_endpoint_url, external_id=external_id, principal=resources.customer_access_role_arn
    )


def _restore_environment(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)
