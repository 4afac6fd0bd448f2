"""The emulated AWS account: a moto server in a process of its own (``emulator_process``), and clients that reach
only it (``provisioning`` creates the stack's resources in it). Nothing of moto runs in the stack's process."""

from __future__ import annotations

import os
from typing import Any

import boto3

from infrastructure.local.child_process import ChildLost, ChildProcess
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


EMULATOR_MODULE = "infrastructure.local.aws.emulator_process"
# Moto's default account, which credentials of no assumed role act as: Cloudivize's own account in the emulator.
ACCOUNT_ID = "123456789012"
# Only a bound for an emulator that never comes up: it imports moto (about a second) and binds.
START_TIMEOUT_SECONDS = 60


class EmulatorFailed(Exception):
    """The emulator's process could not start serving."""


class Emulator:
    """The moto server, on loopback, in a child process (``emulator_process``), with what moto leaves out applied
    there: trust policies on AssumeRole, an empty CloudTrail page, and app clients' write attributes.

    The process ends when ``stop`` closes its link, or when this process ends in any way (``child_process``)."""

    def __init__(self, host: str, port: int, *, account_id: str = ACCOUNT_ID) -> None:
        self._host, self._port, self._account_id = host, port, account_id
        self._child: ChildProcess | None = None
        self.endpoint_url = ""

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> str:
        ensure_port_free(self._host, self._port, "AWS emulator")  # the clear refusal, before a process starts
        child = self._child = ChildProcess(
            EMULATOR_MODULE, [self._host, str(self._port), self._account_id], dict(os.environ)
        )
        try:
            ready = child.receive(timeout=START_TIMEOUT_SECONDS)
            if "error" in ready:
                raise EmulatorFailed(f"The AWS emulator did not start: {ready['error']}.")
        except (ChildLost, TimeoutError) as error:
            self.stop()
            raise EmulatorFailed(f"The AWS emulator did not start: {error}.") from None
        except BaseException:
            self.stop()
            raise
        self.endpoint_url = ready["endpoint_url"]
        return self.endpoint_url

    def stop(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None
