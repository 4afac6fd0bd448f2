"""``run``: the local stack served until Ctrl-C or SIGTERM, its info file written, its banner printed."""

from __future__ import annotations

import contextlib
import json
import logging
import shlex
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

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
    allowed_origins: tuple[str, ...] = ()  # none given: the default console dev origins


def run_local_stack(options: RunOptions) -> int:
    stop = threading.Event()
    # Installed first, so a signal during start-up still ends in the same clean shutdown.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _set_on_signal(stop))

    stack = LocalStack(
        host=options.host,
        api_port=options.api_port,
        aws_port=options.aws_port,
        region=options.region,
        allowed_origins=options.allowed_origins or DEFAULT_ALLOWED_ORIGINS,
    )
    with stack, contextlib.ExitStack() as cleanup:
        info = stack.info
        info.write(options.info_file)
        # A stale file would point tools at a stack that is gone.
        cleanup.callback(options.info_file.unlink, missing_ok=True)
        print(banner(info, options.info_file), flush=True)

        stop.wait()
        log.info("Stopping the local stack")
    return 0


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
