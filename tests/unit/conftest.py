"""Fixtures shared by unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.local.aws.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The AWS emulator in its own process, as the local stack starts it (a module's tests share one)."""
    running = Emulator("127.0.0.1", 0)
    running.start()
    yield running
    running.stop()
