"""``run``: the local stack served until Ctrl-C or SIGTERM, its info file written, its banner printed."""

from __future__ import annotations

import contextlib
import json
import logging
import shlex
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from infrastructure.local.customer_account import DEMO_REGIONS
from infrastructure.local.gateway.docs import DOCS_PATH
from infrastructure.local.stack import LocalStack
from infrastructure.local.stack_info import StackInfo
from infrastructure.resources import DEFAULT_ALLOWED_ORIGINS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    aws_port: int
    region: str
    info_file: Path
    auth_port: int = 0
    amazon_port: int = 0
    console_port: int = 0
    allowed_origins: tuple[str, ...] = ()  # none given: the default console dev origins
    azure_port: int = 0
    real_azure: bool = False  # the functions call the real Azure instead of the demo Azure


def run_local_stack(options: RunOptions) -> int:
    stop = StopSignals()  # first, before any thread or child exists: each inherits the mask
    stack = LocalStack(
        host=options.host,
        api_port=options.api_port,
        aws_port=options.aws_port,
        auth_port=options.auth_port,
        amazon_port=options.amazon_port,
        console_port=options.console_port,
        region=options.region,
        allowed_origins=options.allowed_origins or DEFAULT_ALLOWED_ORIGINS,
        azure_port=options.azure_port,
        real_azure=options.real_azure,
    )
    with stack, contextlib.ExitStack() as cleanup:
        if not stop.arrived():  # else a signal came during start-up: no banner for a stack that is going
            info = stack.info
            # Registered before the file exists: a stale file would point tools at a stack that is gone.
            cleanup.callback(options.info_file.unlink, missing_ok=True)
            info.write(options.info_file)
            print(banner(info, options.info_file), flush=True)
        log.info("Stopping the local stack (%s)", stop.wait().name)
    log.info("Stopped the local stack")
    return 0


STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class StopSignals:
    """SIGINT and SIGTERM held blocked for the whole life of the process, and taken with ``sigwait`` only when the
    stack is ready to stop: a stop signal never interrupts anything.

    Why not a handler: Python runs a handler in the main thread between two bytecodes, wherever that thread is.
    One that raised ``KeyboardInterrupt`` unwound the stack through its shutdown from any point; to ignore later
    signals it had to switch both to ``SIG_IGN``, and a signal the interpreter had already caught but not yet
    handled then came out as "OSError: Signal 15 ignored due to race condition" in the middle of the shutdown
    (two signals at once, SIGINT's handler first). A blocked signal is only marked pending: nothing runs, whenever
    it comes, however often (a kind of signal is pending once), and pending ones are dropped when the process exits,
    which the default action of a late SIGTERM would otherwise make an exit by signal.

    The mask is per thread and inherited: held before the stack starts any thread, it covers them all. Children
    inherit it too; ``child_process.link_to_stack`` sets their own rules. A signal during start-up is taken once
    start-up is over (seconds: it is bounded): the stack then stops as it always does, without announcing itself.
    """

    def __init__(self) -> None:
        """Hold them from now on, in this thread and every thread or child it starts."""
        if threading.active_count() != 1:
            # A thread already running keeps its own mask, and would take a signal with its default action.
            raise RuntimeError("stop signals must be held before any other thread starts")
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)

    def arrived(self) -> bool:
        """Whether a stop signal is waiting to be taken."""
        return bool(signal.sigpending() & STOP_SIGNALS)

    def wait(self) -> signal.Signals:
        """The first stop signal, once one has come; later ones stay pending, and are dropped at exit."""
        return signal.Signals(signal.sigwait(STOP_SIGNALS))


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

  Open {info.console_url} and sign in as {info.demo_username} / {info.demo_password}, or with Amazon.

  Console        {info.console_url}
  Managed login  {info.auth_url}   (Cognito's hosted sign-in; Login with Amazon stand-in at {info.amazon_url})
  API            {api}   (Swagger UI: {api}{DOCS_PATH})
  AWS emulator   {resources.aws_endpoint_url}   region {resources.region}
  User pool      {resources.user_pool_id}   app client {resources.client_id}
  Demo user      {info.demo_username} / {info.demo_password}
  Demo account   {info.demo_customer_account_id}   (a "customer" AWS account: instances in {regions})
  Demo role      {info.demo_role_arn}
                 trusts {resources.customer_access_role_arn} with the demo tenant's External ID;
                 allows viewing and operations (start, stop, reboot, tag)
  Read-only role {info.demo_read_only_role_arn}   (connect it to see a denied action)
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
{organization_banner(info, auth, api)}
{azure_banner(info, auth, api, read_id)}
Add a user:  .venv/bin/python -m infrastructure.local users add EMAIL PASSWORD {info_option}
Ctrl-C stops the stack.
"""


def organization_banner(info: StackInfo, auth: str, api: str) -> str:
    """The curl that connects the demo AWS organization with its discovery role (none without one)."""
    if info.demo_organization is None:
        return ""
    connect = json.dumps(
        {
            "provider": "aws",
            "scope": "organization",
            "name": "Demo organization",
            "role_arn": info.demo_organization["discovery_role_arn"],
        },
        separators=(",", ":"),
    )
    members = len(info.demo_organization["member_account_ids"])
    return f"""
Connect the demo AWS organization (management account {info.demo_organization["management_account_id"]}, \
{members} member accounts: a connection for each):
  curl {auth} -H "Content-Type: application/json" {api}/connections -d '{connect}'
"""


def azure_banner(info: StackInfo, auth: str, api: str, read_id: str) -> str:
    """How to connect the demo subscription with each credential type (or that the real Azure is called)."""
    azure = info.demo_azure
    if azure is None:
        return "Azure: the functions call the real Azure (--real-azure); federated credentials are not offered.\n"
    ids = {"directory_id": azure["directory_id"], "application_id": azure["application_id"]}
    ids["subscription_ids"] = [azure["subscription_id"]]

    def body(name: str, credential_type: str, **extra: str) -> str:
        fields = {"provider": "azure", "name": name, "credential_type": credential_type, **ids, **extra}
        return json.dumps(fields, separators=(",", ":"))

    ca, graph, app = shlex.quote(azure["ca_file"]), azure["graph_url"], azure["application_id"]
    token_url = f"{azure['authority_url']}/{azure['directory_id']}/oauth2/v2.0/token"
    create = f'curl -s {auth} -H "Content-Type: application/json" {api}/connections'
    # A field of a JSON answer (nested names in order), as text: the banner's stand-in for jq.
    field = (
        "field() { .venv/bin/python -c 'import functools,json,sys; "
        "v = functools.reduce(lambda v, k: v[k], sys.argv[1:], json.load(sys.stdin)); "
        'print(v if isinstance(v, str) else json.dumps(v))\' "$@"; }'
    )
    graph_token = (
        f"curl -s --cacert {ca} {token_url} -d grant_type=client_credentials -d client_id={app} \\\n"
        f"    -d client_secret='{azure['application_secret']}' "
        "--data-urlencode scope=https://graph.microsoft.com/.default | field access_token"
    )
    return f"""Demo Azure     {azure["authority_url"]}   (Entra ID, Resource Manager and Graph; CA {azure["ca_file"]})
  directory {azure["directory_id"]}, application {app}, subscription {azure["subscription_id"]}
  The application trusts the demo organization's federated credential, and has the secret
  {azure["application_secret"]}.

Connect the demo subscription, federated (no secret anywhere; GET /onboarding/azure shows what it trusts):
  {field}
  AZURE=$({create} -d '{body("Demo Azure", "federated")}' | field id)
  curl {auth} "{api}/connections/$AZURE/assets?type=Microsoft.Compute/virtualMachines"

With a certificate Cloudivize issues (the answer carries it): add it to the application as Microsoft Graph does
(PATCH keyCredentials, which replaces the application's certificates), then verify:
  CERTIFICATE=$({create} -d '{body("Demo Azure (certificate)", "certificate")}')
  GRAPH_TOKEN=$({graph_token})
  curl -s --cacert {ca} -X PATCH "{graph}/v1.0/applications(appId='{app}')" -H "Authorization: Bearer $GRAPH_TOKEN" \\
    -H "Content-Type: application/json" \\
    -d "{{\\"keyCredentials\\":[$(echo "$CERTIFICATE" | field azure certificate key_credential)]}}"
  curl {auth} -X POST {api}/connections/$(echo "$CERTIFICATE" | field id)/verify

With the secret:
  {create} -d '{body("Demo Azure (secret)", "secret", application_secret=azure["application_secret"])}'
"""
