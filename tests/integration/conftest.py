"""The local stack, started once per session as ``make run`` starts it, and helpers to call it over HTTP.

``in_process_stack`` starts the same stack inside the test process instead (``LocalStack``, the start-up
``run`` uses), with the functions in the test process too, for the tests that must patch what the functions
call: refusals the emulator cannot produce are played with botocore Stubbers there, while requests still go
over real HTTP with real tokens.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.aws.users import sign_in as sign_in_tokens
from infrastructure.local.gateway.docs import OPENAPI_PATH
from infrastructure.local.launch import LaunchedStack, launch_local_stack
from infrastructure.local.stack import LocalStack
from infrastructure.local.stack_info import StackInfo
from tests.contract.openapi_contract import Contract, is_api_path

REPO_ROOT = Path(__file__).resolve().parents[2]

# ``python -m infrastructure.local run`` as a process of its own (``launch``, as the benchmarks start it too).
start_local_stack = launch_local_stack


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory) -> Iterator[LaunchedStack]:
    stack = start_local_stack(tmp_path_factory.mktemp("local-stack"))
    stack.wait_until_ready()
    yield stack
    exit_code = stack.stop(signal.SIGTERM)
    assert exit_code == 0, f"the local stack exited with {exit_code} on SIGTERM:\n{stack.output()}"
    assert not stack.info_file.exists(), "a stopped stack must not leave its info file behind"


@pytest.fixture(scope="session")
def local_stack(running_stack) -> StackInfo:
    """What the running stack wrote to its --info-file."""
    assert running_stack.info is not None
    return running_stack.info


@pytest.fixture(scope="session")
def info_file(running_stack) -> Path:
    return running_stack.info_file


def sign_in(info: StackInfo, username: str, password: str) -> str:
    """A fresh ID token (USER_PASSWORD_AUTH through the app client, at the emulator)."""
    return sign_in_tokens(info.resources, username, password)["IdToken"]


def cognito(info: StackInfo) -> Any:
    return aws_client("cognito-idp", info.resources.aws_endpoint_url, info.resources.region)


def token_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def moto_signing_key() -> tuple[str, Any]:
    """Moto signs every pool's tokens with one key shipped in its package: its key id and private key."""
    folder = resources.files("moto.cognitoidp") / "resources"
    private = json.loads(gzip.decompress((folder / "jwks-private.json.gz").read_bytes()))
    [public] = json.loads(gzip.decompress((folder / "jwks-public.json.gz").read_bytes()))["keys"]
    return public["kid"], jwt.PyJWK(private).key


class Api:
    """``requests`` against the local API, with the ID token as a bearer token when one is given.

    Every API response is checked against the OpenAPI document the stack serves (tests/contract): one the
    document does not describe fails the test that received it.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self._contract: Contract | None = None

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)
        if is_api_path(path.split("?", 1)[0]):
            self.contract.check(response)
        return response

    @property
    def contract(self) -> Contract:
        if self._contract is None:
            served = self.session.get(self.base_url + OPENAPI_PATH, timeout=10)
            served.raise_for_status()
            self._contract = Contract(served.json())
        return self._contract

    def get(self, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, token=token, **kwargs)


@pytest.fixture(scope="session")
def api(local_stack) -> Api:
    return Api(local_stack.api_url)


@pytest.fixture(scope="session")
def demo_token(local_stack) -> str:
    return sign_in(local_stack, local_stack.demo_username, local_stack.demo_password)


@pytest.fixture(scope="module")
def in_process_stack() -> Iterator[StackInfo]:
    """The local stack in this process, on free ports, for one module; stopping it restores the environment."""
    from moto.sts.responses import TokenResponse

    environment, assume_role = dict(os.environ), TokenResponse.assume_role
    with LocalStack(functions_in_this_process=True) as stack:  # where the test's patches reach them
        yield stack.info
    # Later tests in this process (moto's mock_aws, the handlers' settings) must find it as it was.
    assert dict(os.environ) == environment
    assert TokenResponse.assume_role is assume_role


def run_cli(info_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m infrastructure.local ARGS --info-file FILE``, as a developer runs it."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "infrastructure.local", *args, "--info-file", str(info_file)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
