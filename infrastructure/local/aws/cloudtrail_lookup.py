"""CloudTrail ``LookupEvents`` in the emulator: an empty trail instead of an error.

Why: moto does not implement ``LookupEvents`` and answers HTTP 500, so GET /connections/{id}/activity
failed locally after botocore's retries. The emulator records no CloudTrail events, so, while
``empty_cloudtrail_lookup`` is active, every lookup answers what an account with no matching events answers
in AWS: an empty page. The activity shapes with events, and CloudTrail's refusals, are tested with botocore's
Stubber (tests/integration/test_aws.py, tests/unit/test_aws_api.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from moto.cloudtrail.responses import CloudTrailResponse

from infrastructure.local.aws.replaced import replaced


def _lookup_events(self: CloudTrailResponse) -> str:
    return json.dumps({"Events": []})


@contextmanager
def empty_cloudtrail_lookup() -> Iterator[None]:
    """Answer CloudTrail lookups in this process's moto with no events until the block ends."""
    with replaced(CloudTrailResponse, "lookup_events", _lookup_events):
        yield
