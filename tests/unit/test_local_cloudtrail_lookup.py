"""The emulator answers CloudTrail lookups with an empty trail (moto has no LookupEvents)."""

from __future__ import annotations

import boto3
from moto import mock_aws
from moto.cloudtrail.responses import CloudTrailResponse

from infrastructure.local.aws.cloudtrail_lookup import empty_cloudtrail_lookup


def test_a_lookup_answers_an_empty_page_and_the_patch_goes_away_after():
    with mock_aws(), empty_cloudtrail_lookup():
        response = boto3.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Cloudivize-Session"}], MaxResults=5
        )

    assert response["Events"] == [] and "NextToken" not in response
    assert "lookup_events" not in vars(CloudTrailResponse)
