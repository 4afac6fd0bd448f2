"""Inputs that once answered 500 or silently lost data: each now has its exact status, and nothing is written.

The list is what a tester found fuzzing the API (bodies that are not JSON, bytes that are not UTF-8, absurd
nesting and numbers, region names that are not region names, lax booleans and timestamps).
"""

from __future__ import annotations

import base64
import json

import pytest

from cloudivize import paging
from cloudivize.errors import BadRequest
from tests.utils import call_api, claims_for

T1 = claims_for("tenant-1", "user-1")
ROLE_ARN = "arn:aws:iam::123456789012:role/CloudivizeReadOnly"
AWS_BODY = {"provider": "aws", "name": "Prod", "role_arn": ROLE_ARN, "verify": False}
INSTANCE = "i-0123456789abcdef0"


def post_connection(content_type: str | None, raw_body: str | bytes):
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return call_api("POST", "/connections", claims=T1, raw_body=raw_body, headers=headers, default_content_type=False)


def connection_items(cloud) -> list[dict]:
    return [item for item in cloud.items() if item["sk"].startswith("CONN#")]


@pytest.mark.parametrize(
    ("content_type", "raw_body"),
    [
        ("text/plain", json.dumps(AWS_BODY)),
        ("application/xml", "<connection><provider>aws</provider></connection>"),
        ("multipart/form-data; boundary=xyz", '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--'),
        ("multipart/form-data", json.dumps(AWS_BODY)),
        ("application/x-www-form-urlencoded", "provider=aws&name=Prod"),
        ("application/json; charset=latin-1", json.dumps(AWS_BODY)),
        (None, json.dumps(AWS_BODY)),
    ],
)
def test_a_body_that_is_not_json_is_415_naming_application_json_and_writes_nothing(cloud, content_type, raw_body):
    response = post_connection(content_type, raw_body)

    assert response.status == 415, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/unsupported-media-type")
    assert "application/json" in problem["detail"]
    assert problem["errors"][0]["field"] == "Content-Type"
    assert connection_items(cloud) == []


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON", "application/json; charset=UTF-8", "application/merge-patch+json"],
)
def test_json_media_types_are_read_whatever_their_letter_case(cloud, content_type):
    response = post_connection(content_type, json.dumps(AWS_BODY))

    assert response.status == 201, response.text
    assert len(connection_items(cloud)) == 1


def test_put_settings_with_a_form_type_is_415_and_keeps_the_saved_settings(cloud):
    saved = call_api("PUT", "/settings", claims=T1, body={"theme": "dark", "timezone": "Europe/Berlin"})
    assert saved.status == 200

    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        refused = call_api(
            "PUT",
            "/settings",
            claims=T1,
            raw_body=json.dumps({"theme": "light"}),
            headers={"Content-Type": content_type},
        )
        assert refused.status == 415, refused.text

    assert call_api("GET", "/settings", claims=T1).json() == saved.json()


def test_patch_with_a_multipart_type_is_415_and_leaves_the_version(cloud):
    created = call_api("POST", "/connections", claims=T1, body=AWS_BODY).json()
    path = f"/connections/{created['id']}"

    refused = call_api(
        "PATCH",
        path,
        claims=T1,
        raw_body=json.dumps({"version": 1, "name": "Renamed"}),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )

    assert refused.status == 415
    assert call_api("GET", path, claims=T1).json() == created


@pytest.mark.parametrize(
    ("raw_body", "error_type"),
    [
        (b'{"provider": "aws", "name": "\xff\xfe"}', "utf8_invalid"),
        ("[" * 5000 + "]" * 5000, "json_too_deep"),
        ('{"a":' * 33 + "1" + "}" * 33, "json_too_deep"),
        ('{"provider": "aws", "name": "x", "n": ' + "9" * 5000 + "}", "json_unsupported"),
        ('{"provider": "aws", "name": "x", "n": 1e999}', "json_unsupported"),
        ('{"provider": "aws", "name": "x", "n": NaN}', "json_unsupported"),
        ('{"provider": "aws", "name": "x", "n": -Infinity}', "json_unsupported"),
        ('{"provider": "aws",', "json_invalid"),
    ],
    ids=["invalid-utf8", "nested-5000", "nested-33", "int-5000-digits", "float-1e999", "nan", "infinity", "truncated"],
)
def test_undecodable_or_absurd_json_is_400_and_writes_nothing(cloud, raw_body, error_type):
    response = call_api("POST", "/connections", claims=T1, raw_body=raw_body)

    assert response.status == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("/malformed-json")
    assert problem["errors"] == [{"field": "body", "in": "body", "type": error_type, "message": problem["detail"]}]
    assert connection_items(cloud) == []


def test_a_patch_version_of_1e999_is_400_and_changes_nothing(cloud):
    created = call_api("POST", "/connections", claims=T1, body=AWS_BODY).json()
    path = f"/connections/{created['id']}"

    response = call_api("PATCH", path, claims=T1, raw_body='{"version": 1e999, "name": "x"}')

    assert response.status == 400
    assert call_api("GET", path, claims=T1).json() == created


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (AWS_BODY | {"verify": 0}, "verify"),
        (AWS_BODY | {"verify": "false"}, "verify"),
        (AWS_BODY | {"verify": None}, "verify"),
    ],
)
def test_booleans_are_strict(cloud, body, field):
    response = call_api("POST", "/connections", claims=T1, body=body)

    assert response.status == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert connection_items(cloud) == []


@pytest.mark.parametrize("version", ["1", True, 1.5])
def test_the_patch_version_is_a_strict_integer(cloud, version):
    created = call_api("POST", "/connections", claims=T1, body=AWS_BODY).json()

    response = call_api("PATCH", f"/connections/{created['id']}", claims=T1, body={"version": version, "name": "x"})

    assert response.status == 422
    assert [error["field"] for error in response.json()["errors"]] == ["version"]


@pytest.mark.parametrize("expires", [1700000000, "1700000000", "1.2e-197", "tomorrow"])
def test_a_secret_expiry_is_an_iso_8601_date_time(cloud, expires):
    body = {
        "provider": "azure",
        "name": "Subscriptions",
        "directory_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
        "application_id": "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809",
        "application_secret": "Xy9~super-secret-value-0123456789abcdefgh",
        "secret_expires_at": expires,
        "verify": False,
    }

    response = call_api("POST", "/connections", claims=T1, body=body)

    assert response.status == 422
    assert [error["field"] for error in response.json()["errors"]] == ["secret_expires_at"]
    assert connection_items(cloud) == []


@pytest.mark.parametrize("start", ["1.2e-197", "1700000000", "yesterday"])
def test_activity_timestamps_are_iso_8601(cloud, start):
    response = call_api("GET", "/connections/c-1/activity", claims=T1, query=f"start={start}")

    assert response.status == 422
    assert [(error["field"], error["in"]) for error in response.json()["errors"]] == [("start", "query")]


BAD_REGIONS = ["a_b", "..%2F", "%00", "us-east-1.evil.com", "us-east-1%0D%0AX-Injected:%201", "US-EAST-1", "-us"]


@pytest.mark.parametrize("route", ["activity", "assets"])
@pytest.mark.parametrize("region", BAD_REGIONS)
def test_a_region_that_is_not_a_region_name_is_422(cloud, route, region):
    response = call_api("GET", f"/connections/c-1/{route}", claims=T1, query=f"region={region}")

    assert response.status == 422, response.text
    assert [(error["field"], error["in"]) for error in response.json()["errors"]] == [("region", "query")]


def _connect(customer) -> str:
    body = {"provider": "aws", "name": "Demo", "role_arn": customer.account.role_arn, "regions": ["us-east-1"]}
    response = call_api("POST", "/connections", claims=customer.claims, body=body)
    assert response.status == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("route", ["activity", "assets"])
def test_a_well_formed_region_outside_the_connection_is_422(customer, route):
    connection_id = _connect(customer)

    response = call_api(
        "GET", f"/connections/{connection_id}/{route}", claims=customer.claims, query="region=xx-nowhere-9"
    )

    assert response.status == 422, response.text
    assert [(error["field"], error["in"]) for error in response.json()["errors"]] == [("region", "query")]


@pytest.mark.parametrize(
    "asset_id",
    [
        f"arn:aws:ec2:us_east_1:123456789012:instance/{INSTANCE}",
        f"arn:aws:ec2:nowhere-9:123456789012:instance/{INSTANCE}",
        "arn:aws:ec2:zz-fake-1:123456789012:volume/vol-0123456789abcdef0",
    ],
)
def test_an_action_on_an_arn_with_a_malformed_region_is_422_naming_the_asset(operating_customer, asset_id):
    connection_id = _connect(operating_customer)

    response = call_api(
        "POST",
        f"/connections/{connection_id}/actions",
        claims=operating_customer.claims,
        body={"action": "tag", "asset_ids": [asset_id], "tags": {"team": "a"}},
    )

    assert response.status == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["asset_ids.0"]


def _token(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "eyJvZmZzZXQiOiAxZTk5OSwgInF1ZXJ5IjogIngifQ",  # {"offset": 1e999, "query": "x"}: what tokens once were
        _token({"offset": True, "query": "x"}),
        _token({"offset": -1, "query": "x"}),
        _token({"offset": 10**30, "query": "x"}),
        _token([1, 2]),
        "%%%",
    ],
)
def test_a_page_token_not_sealed_by_cloudivize_is_a_bad_request(cloud, token):
    from cloudivize.crypto import FieldSealer, page_token_context

    with pytest.raises(BadRequest) as refused:
        paging.open_cursor(FieldSealer(cloud.field_key_arn), page_token_context("t-1", "c-1"), query=["x"], token=token)

    assert refused.value.detail == paging.NOT_ISSUED


@pytest.mark.parametrize(
    "marks",
    [[[0, None, -1, None, False]], [[0, None, 0, -2, False]], [[0, None, True, None, False]], [1.5], [[0, 7, 0]]],
)
def test_a_sealed_page_token_with_absurd_positions_is_a_bad_request(cloud, marks):
    """Sealed by us and so never forged, the positions are still read strictly (a bug must not walk far)."""
    import time

    from cloudivize.crypto import FieldSealer, page_token_context

    sealer, context = FieldSealer(cloud.field_key_arn), page_token_context("t-1", "c-1")
    body = {"v": paging.TOKEN_VERSION, "q": paging.fingerprint(["x"]), "t": int(time.time()), "s": [], "m": marks}
    sealed = base64.b64decode(sealer.seal(paging._compressed(body), context))
    token = base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    with pytest.raises(BadRequest) as refused:
        paging.open_cursor(sealer, context, query=["x"], token=token)

    assert refused.value.detail == paging.NOT_ISSUED
