"""The offline environment every benchmark runs in: fake AWS credentials, no tracing or metrics, one region."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER_DIR = REPO_ROOT / "layers"


def offline() -> None:
    """Set before any client is created: a benchmark never reaches a real AWS account."""
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
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    for path in (str(REPO_ROOT), str(LAYER_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
