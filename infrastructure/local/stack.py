"""``run``: start the emulator, provision it, add the demo user, serve the API until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import shlex
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from infrastructure.local.api_server import ApiServer
from infrastructure.local.authorizer import CognitoAuthorizer
from infrastructure.local.docs import DOCS_PATH, openapi_document
from infrastructure.local.emulator import Emulator, provision
from infrastructure.local.events import ApiStage
from infrastructure.local.gateway import LocalApiGateway
from infrastructure.local.lambda_runtime import LambdaRuntime, install_handler_environment
from infrastructure.local.stack_info import StackInfo
from infrastructure.local.users import add_user

DEMO_USERNAME = "demo@cloudivize.local"
DEMO_PASSWORD = "Cloudivize-Demo-2024!"  # noqa: S105 - the documented password of the local demo user
STAGE = "v1"  # infrastructure/api.py STAGE_NAME (not imported: that module loads the CDK)
API_ID = "local"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    aws_port: int
    region: str
    info_file: Path


def run_local_stack(options: RunOptions) -> int:
    stop = threading.Event()
    # Installed first, so a signal during start-up still ends in the same clean shutdown.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _set_on_signal(stop))

    with contextlib.ExitStack() as cleanup:
        emulator = Emulator(options.host, options.aws_port)
        endpoint_url = emulator.start()
        cleanup.callback(emulator.stop)
        resources = provision(endpoint_url, options.region)
        install_handler_environment(resources)  # before any handler module loads
        add_user(resources, DEMO_USERNAME, DEMO_PASSWORD)

        gateway = LocalApiGateway(
            authorizer=CognitoAuthorizer.for_user_pool(resources),
            invoke=LambdaRuntime(resources).invoke,
            stage=ApiStage(account_id=resources.account_id, api_id=API_ID, stage=STAGE),
            openapi=openapi_document,
        )
        api = ApiServer(options.host, options.api_port, gateway)
        api.start()
        cleanup.callback(api.stop)

        info = StackInfo(api.url, resources, DEMO_USERNAME, DEMO_PASSWORD)
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
    token_command = f".venv/bin/python -m infrastructure.local token --info-file {shlex.quote(str(info_file))}"
    return f"""
Cloudivize local stack is ready.

  API            {info.api_url}   (Swagger UI: {info.api_url}{DOCS_PATH})
  AWS emulator   {resources.aws_endpoint_url}   region {resources.region}
  User pool      {resources.user_pool_id}   app client {resources.client_id}
  Demo user      {info.demo_username} / {info.demo_password}
  Info file      {info_file}

Try it:
  TOKEN=$({token_command})
  curl -H "Authorization: Bearer $TOKEN" {info.api_url}/me

Add a user:  .venv/bin/python -m infrastructure.local users add EMAIL PASSWORD --info-file {shlex.quote(str(info_file))}
Ctrl-C stops the stack.
"""
