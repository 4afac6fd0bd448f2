"""Bodies a browser or a careless client may send, over real HTTP through the local API Gateway: the exact
status, and nothing written from a body that was not read as the JSON it claims to be."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

ROLE_ARN = "arn:aws:iam::210987654321:role/SomeRole"
AWS_BODY = {"provider": "aws", "name": "HTTP bad input", "role_arn": ROLE_ARN, "verify": False}


def send(api, token, method, path, content_type, data: bytes):
    return api.request(method, path, token=token, headers={"Content-Type": content_type}, data=data)


def names(api, token) -> list[str]:
    return [connection["name"] for connection in api.get("/connections?limit=100", token=token).json()["items"]]


@pytest.mark.parametrize(
    ("content_type", "data", "status"),
    [
        ("text/plain", json.dumps(AWS_BODY).encode(), 415),
        ("application/xml", b"<connection/>", 415),
        ("multipart/form-data", json.dumps(AWS_BODY).encode(), 415),
        ("application/json", b'{"provider": "aws", "name": "\xff"}', 400),
        ("application/json", b"[" * 5000 + b"]" * 5000, 400),
        ("application/json", b'{"version": ' + b"7" * 5000 + b"}", 400),
    ],
    ids=["text-plain", "xml", "multipart", "invalid-utf8", "nested-5000", "int-5000-digits"],
)
def test_a_body_that_is_not_readable_json_is_refused_over_http(api, demo_token, content_type, data, status):
    response = send(api, demo_token, "POST", "/connections", content_type, data)

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["X-Request-Id"]
    assert "HTTP bad input" not in names(api, demo_token)


def test_json_in_any_letter_case_is_read(api, demo_token):
    body = AWS_BODY | {"name": "HTTP mixed case"}
    response = send(
        api, demo_token, "POST", "/connections", "Application/JSON; Charset=UTF-8", json.dumps(body).encode()
    )

    assert response.status_code == 201, response.text
    assert api.request("DELETE", response.headers["Location"], token=demo_token).status_code == 204


def test_settings_sent_as_a_form_are_refused_and_the_saved_ones_kept(api, demo_token):
    saved = api.request("PUT", "/settings", token=demo_token, json={"theme": "dark"})
    assert saved.status_code == 200

    refused = send(api, demo_token, "PUT", "/settings", "application/x-www-form-urlencoded", b'{"theme": "light"}')

    assert refused.status_code == 415
    assert api.get("/settings", token=demo_token).json() == saved.json()


def test_a_body_on_an_operation_that_takes_none_is_still_read_as_json(api, demo_token):
    # POST .../verify takes no body; one sent anyway is held to the same rule (and the document says so).
    response = send(api, demo_token, "POST", "/connections/c-unknown/verify", "text/plain", b"verify please")

    assert response.status_code == 415
