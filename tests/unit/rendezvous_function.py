"""A function for the container tests, run by ``ContainerPool`` as the local stack runs a real one.

Each invocation logs through the functions' shared Powertools logger (with the Lambda context and its event's
tenant as keys), meets the test at the port its event names (saying which process it runs in and how many
invocations that process is running), and goes on only when the test lets it: a test holds invocations open
at will and sees where they run, without timing anything. An event may instead ask it to raise or to die.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from cloudivize.observability import logger

_running = 0  # invocations under way in this process: a container must never have two


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _running
    _running += 1
    try:
        logger.append_keys(tenant_id=event["tenant_id"])
        logger.info("Arrived")
        if "exit_code" in event:
            os._exit(event["exit_code"])  # the process dies mid-invocation
        if "error" in event:
            raise RuntimeError(event["error"])
        if "port" in event:
            with socket.create_connection(("127.0.0.1", event["port"])) as rendezvous:
                report = {"pid": os.getpid(), "running": _running, "request_id": context.aws_request_id}
                rendezvous.sendall(json.dumps(report).encode() + b"\n")
                rendezvous.recv(1)  # until the test lets it go on
        logger.info("Leaving")
        return {"pid": os.getpid(), "tenant_id": event["tenant_id"]}
    finally:
        _running -= 1
