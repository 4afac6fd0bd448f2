"""One warm Lambda execution environment (a "container"): a process of its own that runs one function.

``python -m infrastructure.local.lambda_container MODULE FD``, started by ``lambda_runtime.ContainerPool``: the
process imports the handler module once (Lambda's init phase) and says so, then serves invocations one after
another over the connection on file descriptor FD (an event and the context's fields in, the handler's result or
error out, one JSON message each) until the connection closes (``child_process``).

As in AWS, whatever a function keeps in its process is its own: the handler module's globals (the resolver's
current event), the Powertools logger's keys and metrics buffers, the composition root's cached clients. Two
invocations never share them, since a container runs one at a time and another container is another process.
What a function logs goes to the stack's own output, as Lambda's goes to CloudWatch.

Only the standard library is imported before the handler module, so a container starts as fast as its
function does.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from infrastructure.local.child_process import link_to_stack, receive_from_stack
from infrastructure.local.shared_layer import make_layer_importable


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

    def fields(self) -> dict[str, Any]:
        """What a container needs to make the same context (its clock starts when it receives them)."""
        return {
            "function_name": self.function_name,
            "memory_limit_in_mb": self.memory_limit_in_mb,
            "invoked_function_arn": self.invoked_function_arn,
            "timeout_seconds": self.timeout_seconds,
            "aws_request_id": self.aws_request_id,
            "function_version": self.function_version,
        }


def serve(module_name: str, connection: Connection) -> None:
    """Import the handler module (the init phase), say so, then answer each invocation received until the
    connection closes."""
    make_layer_importable()
    init_error: BaseException | None = None
    try:
        handler = importlib.import_module(module_name).lambda_handler
    except Exception as error:  # noqa: BLE001 - Lambda answers every invocation with a failed init
        traceback.print_exc()
        init_error = error
    # A failed init is said too: the container is up, and each invocation answers the failure, as Lambda's do.
    reply = json.dumps({"initialized": init_error is None})
    while True:
        try:
            connection.send_bytes(reply.encode())
        except OSError:
            return  # the stack is gone
        invocation = receive_from_stack(connection)
        if invocation is None:
            return  # the stack has stopped this container
        if init_error is not None:
            reply = _failure(init_error)
            continue
        try:
            result = handler(invocation["event"], LambdaContext(**invocation["context"]))
            reply = json.dumps({"result": result})  # Lambda answers JSON: an unserializable result fails too
        except Exception as error:  # noqa: BLE001 - the runtime's boundary, as Lambda's: logged, then returned
            traceback.print_exc()
            reply = _failure(error)


def _failure(error: BaseException) -> str:
    return json.dumps({"error": {"type": type(error).__name__, "message": str(error)}})


def main(argv: list[str]) -> int:
    module_name, descriptor = argv
    with link_to_stack(descriptor) as connection:
        serve(module_name, connection)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
