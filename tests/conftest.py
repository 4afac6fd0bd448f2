"""Settings shared by every suite: no real AWS credentials, no tracing, a fixed region."""

import os

import pytest

# Set before anything imports boto3 or Powertools: tests must never reach a real AWS account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "cloudivize",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(autouse=True)
def _fresh_cached_clients():
    """Clients and settings are cached per warm container; each test is a new container."""
    from cloudivize import config, crypto, identity, repository

    caches = (config.get_settings, crypto.sealer_for, identity._cognito, repository._table)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


@pytest.fixture
def debug_logs(capfd, caplog):
    """Run with DEBUG logging everywhere; returns a function giving all that was logged or printed so far."""
    import logging

    from cloudivize.observability import logger

    previous = logger.log_level
    logger.setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def logged() -> str:
        out, err = capfd.readouterr()
        seen.extend([out, err])
        return "".join(seen) + caplog.text

    yield logged
    logger.setLevel(previous)
