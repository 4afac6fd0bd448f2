"""The environment of code that runs without AWS (the tests, the benchmarks): fake credentials, one region, no
tracing or metrics. Set before any client is created, so nothing ever reaches a real AWS account."""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "cloudivize",
    # moto loads thousands of public AMIs into every region it touches; tests and benchmarks name their own image.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
# What would point a client at a real account or another endpoint.
REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_ENDPOINT_URL")


def go_offline(**extra: str) -> None:
    os.environ.update(OFFLINE_ENVIRONMENT | extra)
    for name in REAL_AWS_VARIABLES:
        os.environ.pop(name, None)
