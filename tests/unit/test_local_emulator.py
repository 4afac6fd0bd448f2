"""The AWS emulator in a process of its own: what moto leaves out is applied there, nothing of it in the process
that starts it, and the process ends with the link to that process, however that ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto.sts.responses import TokenResponse

from infrastructure.local.aws.emulator import ACCOUNT_ID, Emulator, EmulatorFailed, aws_client
from infrastructure.local.customer_account import account_session
from infrastructure.local.ports import PortUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CUSTOMER_ACCOUNT = "210987654321"
BOUND_SECONDS = 30  # only a bound for a process that does not end; no test waits it out


def is_running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (an orphan's may wait for a reaper)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + BOUND_SECONDS
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def client(emulator: Emulator, service: str):
    return aws_client(service, emulator.endpoint_url, REGION)


def test_the_emulator_serves_from_a_process_of_its_own_as_moto_would(emulator):
    identity = client(emulator, "sts").get_caller_identity()

    assert emulator.pid is not None and emulator.pid != os.getpid()
    assert is_running(emulator.pid)
    assert identity["Account"] == ACCOUNT_ID


def test_its_process_refuses_assume_role_as_aws_does_and_this_one_is_left_as_moto_is(emulator):
    # A role of another account that trusts nobody: moto alone would let anyone assume it.
    customer = account_session(CUSTOMER_ACCOUNT, endpoint_url=emulator.endpoint_url).client(
        "iam", endpoint_url=emulator.endpoint_url
    )
    nobody = {"Version": "2012-10-17", "Statement": []}
    role = customer.create_role(RoleName="TrustsNobody", AssumeRolePolicyDocument=json.dumps(nobody))["Role"]

    with pytest.raises(ClientError) as refused:
        client(emulator, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="Cloudivize-Session")

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert TokenResponse.assume_role.__qualname__ == "TokenResponse.assume_role"  # moto here: not patched


def test_its_process_answers_cloudtrail_lookups_with_an_empty_page(emulator):
    response = client(emulator, "cloudtrail").lookup_events(MaxResults=5)

    assert response["Events"] == [] and "NextToken" not in response


def test_a_port_taken_is_refused_before_any_process_starts(emulator):
    port = int(emulator.endpoint_url.rsplit(":", 1)[1])
    second = Emulator("127.0.0.1", port)

    with pytest.raises(PortUnavailable, match=f"The AWS emulator cannot listen on 127.0.0.1:{port}"):
        second.start()
    assert second.pid is None


def test_an_address_the_process_cannot_listen_on_fails_the_start_naming_it():
    unreachable = Emulator("192.0.2.1", 0)  # TEST-NET-1: no interface of this machine has it

    with pytest.raises(EmulatorFailed, match=r"did not start: cannot listen on 192\.0\.2\.1:0"):
        unreachable.start()
    assert unreachable.pid is None  # stopped, nothing left behind


def test_an_account_that_is_not_motos_own_fails_the_start():
    with pytest.raises(EmulatorFailed, match=f"moto's own account is {ACCOUNT_ID}, not 111111111111"):
        Emulator("127.0.0.1", 0, account_id="111111111111").start()


def test_stopping_ends_the_process_and_its_endpoint():
    emulator = Emulator("127.0.0.1", 0)
    emulator.start()
    pid, endpoint_url = emulator.pid, emulator.endpoint_url
    assert pid is not None

    emulator.stop()

    assert not is_running(pid)
    with pytest.raises(EndpointConnectionError):
        aws_client("sts", endpoint_url, REGION).get_caller_identity()


def test_the_process_ends_when_the_process_that_started_it_is_killed():
    starter = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", textwrap.dedent(
            """
            import os, signal
            from infrastructure.local.aws.emulator import Emulator

            emulator = Emulator("127.0.0.1", 0)
            emulator.start()
            print(emulator.pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no stop, no exit handler: only the link's end closes
            """
        )],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert starter.stdout is not None
    emulator_pid = int(starter.stdout.readline())

    assert starter.wait(timeout=BOUND_SECONDS) == -9
    assert wait_until_gone(emulator_pid)
