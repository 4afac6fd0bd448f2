"""``run``: the local stack served until Ctrl-C or SIGTERM, its info file written, its banner printed."""

from __future__ import annotations

import contextlib
import json
import logging
import shlex
import signal
import time
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
    stop = StopOnSignal()
    # Installed first, so a signal during start-up still ends in the same clean shutdown.
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)

    stack = LocalStack(
        host=options.host,
        api_port=options.api_port,
        aws_port=options.aws_port,
        region=options.region,
        allowed_origins=options.allowed_origins or DEFAULT_ALLOWED_ORIGINS,
    )
    try:
        with stack, contextlib.ExitStack() as cleanup:
            info = stack.info
            # Registered before the file exists: a stale file would point tools at a stack that is gone.
            cleanup.callback(options.info_file.unlink, missing_ok=True)
            info.write(options.info_file)
            print(banner(info, options.info_file), flush=True)
            _sleep_until_signalled()
    except KeyboardInterrupt:
        if stop.received is None:
            raise  # not a stop signal's: not ours to swallow
    log.info("Stopped the local stack")
    return 0


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
    """The handler of SIGINT and SIGTERM: the first signal stops the stack, every later one is ignored.

    Python runs a handler in the main thread between two bytecodes, possibly inside a lock that thread holds:
    a handler that set a ``threading.Event`` deadlocked when a second signal came while the first was being
    handled (``make run`` passes a SIGTERM on to the process that already got it). So this one takes no lock:
    it has the operating system ignore both signals from now on (also during the interpreter's exit, where a
    Python handler would be gone and SIGTERM kill the process), and raises ``KeyboardInterrupt``, which unwinds
    the main thread, wherever it is, through the stack's ordinary shutdown.
    """

    def __init__(self) -> None:
        self.received: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_IGN)
        if self.received is None:
            self.received = signum
            raise KeyboardInterrupt


def _sleep_until_signalled() -> None:
    while True:
        time.sleep(3600)  # a signal interrupts the sleep (on every platform, unlike a lock's wait)


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
