"""The offline environment every benchmark runs in: fake AWS credentials, no tracing or metrics, one region."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER_DIR = REPO_ROOT / "layers"


def offline() -> None:
    """Set before any client is created: a benchmark never reaches a real AWS account."""
    for path in (str(REPO_ROOT), str(LAYER_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from infrastructure.offline import go_offline  # importable once the repository is on the path

    go_offline(POWERTOOLS_LOG_LEVEL="WARNING")
