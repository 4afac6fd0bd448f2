"""Cloudivize's principal mints web identity tokens as its policy allows, and a refusal is a clear 503 that names no
token; an organization's audience is its own, stable, and says nothing of its External ID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloudivize.principal import AUDIENCE_PREFIX, Principal, PrincipalUnavailable, organization_audience

BROKER = "arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess"
AUDIENCE = AUDIENCE_PREFIX + "a" * 48


def broker_session() -> dict:
    expires = datetime.now(UTC) + timedelta(hours=1)
    return {
        "Credentials": {"AccessKeyId": "ASIAEXAMPLE000000000", "SecretAccessKey": "s", "SessionToken": "t",
                        "Expiration": expires},
        "AssumedRoleUser": {"AssumedRoleId": "AROA:Cloudivize-Broker", "Arn": f"{BROKER}/Cloudivize-Broker"},
    }  # fmt: skip


def test_a_token_is_asked_as_the_broker_for_one_audience_300_seconds_rs256(sts):
    sts.add_response(
        "assume_role", broker_session(),
        {"RoleArn": BROKER, "RoleSessionName": "Cloudivize-Broker", "DurationSeconds": 3600},
    )  # fmt: skip
    sts.add_response(
        "get_web_identity_token",
        {"WebIdentityToken": "header.claims.signature", "Expiration": datetime.now(UTC)},
        {"Audience": [AUDIENCE], "DurationSeconds": 300, "SigningAlgorithm": "RS256"},
    )

    assert Principal(BROKER, "us-east-1").web_identity_token(AUDIENCE) == "header.claims.signature"


def test_a_refused_token_is_a_503_on_cloudivizes_side_naming_the_code_and_no_token(sts, debug_logs):
    sts.add_response("assume_role", broker_session())
    sts.add_client_error("get_web_identity_token", "OutboundWebIdentityFederationDisabledException", "disabled")

    with pytest.raises(PrincipalUnavailable) as refused:
        Principal(BROKER, "us-east-1").web_identity_token(AUDIENCE)

    assert refused.value.status == 503
    assert refused.value.extensions["aws_error"] == "OutboundWebIdentityFederationDisabledException"
    assert "on Cloudivize's side, not yours" in refused.value.detail
    assert '"aws_error":"OutboundWebIdentityFederationDisabledException"' in debug_logs()


def test_without_a_principal_no_token_is_minted():
    with pytest.raises(PrincipalUnavailable, match="not configured"):
        Principal(None, "us-east-1").web_identity_token(AUDIENCE)


def test_an_organization_audience_is_its_own_stable_and_reveals_nothing_of_its_external_id():
    external_id = "Q" * 24 + "z" * 24

    audience = organization_audience(external_id)

    assert audience == organization_audience(external_id)
    assert audience != organization_audience("Q" * 24 + "y" * 24)
    assert audience.startswith(AUDIENCE_PREFIX) and len(audience) == len(AUDIENCE_PREFIX) + 48
    assert external_id not in audience and external_id[:8] not in audience
