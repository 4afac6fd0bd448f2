"""The connections API through its handler: validation, storage, concurrency, paging, idempotency, isolation."""

import pytest

from cloudivize.aws_access.provider import AwsProvider
from cloudivize.models.connections import Check, Verification
from cloudivize.providers.base import verification_unavailable
from tests.utils import AWS_ROLE_ARN, aws_connection_body, azure_connection_body, call_api, claims_for

T1, T2 = claims_for("tenant-1", "user-1"), claims_for("tenant-2", "user-2", "bo@example.com")
ROLE_ARN = AWS_ROLE_ARN
AZURE_SECRET = "Xy98Q~s3cret-value-0123456789-abcdefghij"  # 40 characters, as Entra issues them today
ROTATED = "Nw18Q~the-rotated-value-0123456789-abcde"


aws_body = aws_connection_body


def azure_body(**overrides):
    return (
        azure_connection_body(
            directory_id="11111111-2222-3333-4444-555555555555",
            application_id="AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
            secret=AZURE_SECRET,
            subscription_ids=["99999999-8888-7777-6666-555555555555"],
        )
        | overrides
    )


def create(claims=T1, body=None, **headers):
    return call_api("POST", "/connections", claims=claims, body=body or aws_body(), headers=headers)


def test_create_aws_connection_answers_metadata_only(cloud):
    response = create()

    assert response.status == 201
    connection = response.json()
    assert connection["provider"] == "aws"
    assert connection["status"] == "unverified"
    assert connection["version"] == 1
    assert connection["aws"] == {
        "account_id": "123456789012",
        "role_arn": ROLE_ARN,
        "regions": None,
        "organization": None,
    }
    assert (connection["scope"], connection["organization_connection_id"], connection["last_sync"]) == (
        "account", None, None
    )  # fmt: skip
    assert response.headers["Location"] == f"/connections/{connection['id']}"
    assert response.headers["ETag"] == '"1"'


def test_create_azure_connection_never_answers_the_secret(cloud):
    response = create(body=azure_body())

    assert response.status == 201
    azure = response.json()["azure"]
    assert AZURE_SECRET not in response.text
    assert azure["secret_hint"] == AZURE_SECRET[:3]
    assert azure["application_id"] == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"  # GUIDs normalised


def test_malformed_json_is_400(cloud):
    response = call_api("POST", "/connections", claims=T1, raw_body='{"provider": "aws",')

    assert response.status == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Malformed JSON"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (aws_body(name=7), "name"),
        (aws_body(role_arn="arn:aws:iam::12345:role/x"), "role_arn"),
        (aws_body(role_arn="arn:aws:s3:::bucket"), "role_arn"),
        (aws_body(role_arn="arn:azure:iam::123456789012:role/x"), "role_arn"),
        (aws_body(role_arn="arn:aws:iam::123456789012:role/" + "n" * 65), "role_arn"),
        (aws_body(regions=["us-east-1", "mars-north-1"]), "regions.1"),
        (aws_body(regions=["us-east-1", "us-east-1"]), "regions"),
        (aws_body(external_id="chosen-by-customer"), "external_id"),
        (aws_body(surprise=True), "surprise"),
        (azure_body(directory_id="not-a-guid"), "directory_id"),
        (azure_body(application_secret=""), "application_secret"),
        ({"name": "x"}, "provider"),
    ],
)
def test_schema_violations_are_422_naming_the_field(cloud, body, field):
    response = create(body=body)

    assert response.status == 422, response.text
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation")
    assert field in [error["field"] for error in problem["errors"]]
    assert field.split(".")[0] in problem["detail"]
    assert cloud.items_beyond_sign_up() == []  # nothing half-written


def test_validation_error_never_echoes_a_secret(cloud):
    response = create(body=azure_body(directory_id="bad", application_secret=AZURE_SECRET))

    assert response.status == 422
    assert AZURE_SECRET not in response.text


def test_oversize_body_is_413_and_stores_nothing(cloud):
    response = create(body=aws_body(name="x" * 70_000))

    assert response.status == 413
    assert response.json()["status"] == 413
    assert cloud.items_beyond_sign_up() == []


def test_verification_is_the_default_and_says_when_it_is_not_available(cloud, monkeypatch):
    def unavailable(self, connection):
        raise verification_unavailable(self.name)

    monkeypatch.setattr(AwsProvider, "verify", unavailable)

    response = create(body=aws_body(verify=True))

    assert response.status == 503
    assert '"verify": false' in response.json()["detail"]
    assert cloud.items_beyond_sign_up() == []


def test_failed_verification_is_422_with_the_checks_and_stores_nothing(cloud, monkeypatch):
    failing = Verification(ok=False, checks=[Check(name="role_assumable", ok=False, detail="Trust Cloudivize.")])
    monkeypatch.setattr(AwsProvider, "verify", lambda self, connection: failing)

    response = create(body=aws_body(verify=True))

    assert response.status == 422
    assert response.json()["checks"] == [
        {"name": "role_assumable", "ok": False, "detail": "Trust Cloudivize.", "required": True}
    ]
    assert cloud.items_beyond_sign_up() == []


def test_passed_verification_stores_a_verified_connection(cloud, monkeypatch):
    passing = Verification(ok=True, checks=[Check(name="role_assumable", ok=True, detail="ok")])
    monkeypatch.setattr(AwsProvider, "verify", lambda self, connection: passing)

    connection = create(body=aws_body(verify=True)).json()

    assert connection["status"] == "verified"
    assert connection["last_verified_at"]


def test_get_and_list_show_what_was_created(cloud):
    created = create().json()

    fetched = call_api("GET", f"/connections/{created['id']}", claims=T1)
    listed = call_api("GET", "/connections", claims=T1)

    assert fetched.status == 200 and fetched.json() == created
    assert listed.json() == {"items": [created], "next_token": None}


def test_list_pages_through_every_connection_once(cloud):
    ids = {create(body=aws_body(name=f"c{i}", role_arn=f"{ROLE_ARN}{i}")).json()["id"] for i in range(5)}

    seen, token, pages = [], None, 0
    while True:
        query = "limit=2" + (f"&next_token={token}" if token else "")
        page = call_api("GET", "/connections", claims=T1, query=query).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        token = page["next_token"]
        if not token:
            break

    assert sorted(seen) == sorted(ids)
    assert pages == 3


@pytest.mark.parametrize("token", ["garbage!", "eyJhZnRlciI6ICJNRVRBIn0"])  # the second points at the META record
def test_foreign_or_forged_page_token_is_400(cloud, token):
    create()

    response = call_api("GET", "/connections", claims=T1, query=f"next_token={token}")

    assert response.status == 400


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_bad_limit_is_422(cloud, limit):
    assert call_api("GET", "/connections", claims=T1, query=f"limit={limit}").status == 422


def test_another_tenants_connection_is_404_exactly_like_a_missing_one(cloud):
    connection_id = create(claims=T1).json()["id"]
    missing = call_api("GET", "/connections/00000000-0000-0000-0000-000000000000", claims=T2)

    for method, path, body in [
        ("GET", f"/connections/{connection_id}", None),
        ("PATCH", f"/connections/{connection_id}", {"version": 1, "name": "mine now"}),
        ("DELETE", f"/connections/{connection_id}", None),
        ("POST", f"/connections/{connection_id}/verify", None),
    ]:
        response = call_api(method, path, claims=T2, body=body)
        assert response.status == 404, (method, response.text)
        assert response.json()["title"] == missing.json()["title"]
    assert call_api("GET", "/connections", claims=T2).json()["items"] == []
    assert call_api("GET", f"/connections/{connection_id}", claims=T1).json()["name"] == "Production"


def test_patch_renames_and_bumps_the_version(cloud):
    connection_id = create().json()["id"]

    response = call_api(
        "PATCH",
        f"/connections/{connection_id}",
        claims=T1,
        body={"version": 1, "name": "Prod", "regions": ["eu-west-1"]},
    )

    assert response.status == 200
    assert response.json()["name"] == "Prod"
    assert response.json()["aws"]["regions"] == ["eu-west-1"]
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_patch_with_a_stale_version_is_412_and_changes_nothing(cloud):
    connection_id = create().json()["id"]
    call_api("PATCH", f"/connections/{connection_id}", claims=T1, body={"version": 1, "name": "first"})

    response = call_api("PATCH", f"/connections/{connection_id}", claims=T1, body={"version": 1, "name": "second"})

    assert response.status == 412
    assert call_api("GET", f"/connections/{connection_id}", claims=T1).json()["name"] == "first"


def test_patch_accepts_the_version_as_if_match(cloud):
    connection_id = create().json()["id"]

    ok = call_api("PATCH", f"/connections/{connection_id}", claims=T1, body={"name": "a"}, headers={"If-Match": '"1"'})
    stale = call_api(
        "PATCH", f"/connections/{connection_id}", claims=T1, body={"name": "b"}, headers={"If-Match": '"1"'}
    )

    assert (ok.status, stale.status) == (200, 412)


def test_patch_without_any_version_is_428(cloud):
    connection_id = create().json()["id"]

    assert call_api("PATCH", f"/connections/{connection_id}", claims=T1, body={"name": "a"}).status == 428


def test_patch_refuses_fields_of_the_other_provider(cloud):
    connection_id = create().json()["id"]

    response = call_api(
        "PATCH", f"/connections/{connection_id}", claims=T1, body={"version": 1, "application_secret": ROTATED}
    )

    assert response.status == 422
    assert response.json()["errors"] == [
        {"field": "application_secret", "in": "body", "type": "not_applicable", "message": "not for aws"}
    ]


def test_delete_then_delete_again_is_404(cloud):
    connection_id = create().json()["id"]

    first = call_api("DELETE", f"/connections/{connection_id}", claims=T1)
    second = call_api("DELETE", f"/connections/{connection_id}", claims=T1)

    assert (first.status, second.status) == (204, 404)
    assert [item for item in cloud.items() if item["sk"].startswith("CONN#")] == []


def test_create_with_an_idempotency_key_creates_once(cloud):
    first = create(**{"Idempotency-Key": "retry-123"})
    retry = create(**{"Idempotency-Key": "retry-123"})

    assert (first.status, retry.status) == (201, 201)
    assert first.json()["id"] == retry.json()["id"]
    assert len([item for item in cloud.items() if item["sk"].startswith("CONN#")]) == 1


def test_idempotency_key_reused_with_another_body_is_refused(cloud):
    create(**{"Idempotency-Key": "retry-123"})

    response = create(body=aws_body(name="Other"), **{"Idempotency-Key": "retry-123"})

    assert response.status == 422
    assert "Idempotency-Key" in response.json()["detail"]


def test_idempotency_keys_are_scoped_to_the_tenant(cloud):
    mine = create(claims=T1, **{"Idempotency-Key": "same"}).json()["id"]
    theirs = create(claims=T2, **{"Idempotency-Key": "same"}).json()["id"]

    assert mine != theirs
