"""The emulated AWS account: an in-process moto server, and clients that reach only it (``provisioning``
creates the stack's resources in it)."""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.request
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from infrastructure.local.aws.write_attributes import client_write_attributes_enforced
from infrastructure.local.ports import ensure_port_free

DEFAULT_REGION = "us-east-1"

# The emulator accepts any credentials; these make sure no real ones are ever sent, even to it.
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}

# A developer's own AWS settings must never reach the emulated stack: a profile that does not exist here
# would break every client, and a service-specific endpoint would silently bypass the emulator.
_REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


def detach_from_real_aws() -> None:
    """Drop the caller's AWS profile and endpoint overrides from this process's environment."""
    for name in list(os.environ):
        if name in _REAL_AWS_VARIABLES or name.startswith(_SERVICE_ENDPOINT_PREFIX):
            del os.environ[name]


def aws_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client bound to the emulator, whatever the environment says."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, **DUMMY_CREDENTIALS)


class Emulator:
    """The moto server, on loopback, in a background thread of this process, with Cognito's write-attribute
    rule for app clients (``write_attributes``), which moto leaves out."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._rules = contextlib.ExitStack()
        self.endpoint_url = ""

    def start(self) -> str:
        # Moto binds in its own thread and would wait forever for a port it failed to get: check first.
        ensure_port_free(self._host, self._port, "AWS emulator")
        # Werkzeug logs every emulated AWS call at INFO: noise that would bury the API's own log.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Moto would load thousands of public AMIs into every region the stack touches (seconds each); the
        # demo account names its own image. Read when a region's EC2 backend is first made, so set it now.
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        self._rules.enter_context(client_write_attributes_enforced())
        try:
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.endpoint_url = f"http://{host}:{port}"
            # Moto's state is per process: an emulator started in a process that already used moto (a test run)
            # must still begin with empty accounts.
            reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310 - fixed http URL
            with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own loopback server
                pass
        except BaseException:
            self._rules.close()  # moto is left as this process found it
            raise
        return self.endpoint_url

    def stop(self) -> None:
        self._server.stop()
        self._rules.close()
