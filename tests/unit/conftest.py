"""Fixtures shared by unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from infrastructure.local.aws.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The AWS emulator in its own process, as the local stack starts it (a module's tests share one)."""
    running = Emulator("127.0.0.1", 0)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def sts(monkeypatch) -> Iterator[Stubber]:
    """The STS client Cloudivize's principal uses (``cloudivize.principal.sts_client``), stubbed: every call must be
    one the test adds, and every one it adds must be made."""
    from cloudivize import principal

    client = boto3.client("sts", region_name="us-east-1")
    stubber = Stubber(client)
    monkeypatch.setattr(principal, "sts_client", lambda region, session=None: client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()
