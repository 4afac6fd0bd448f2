"""A tenant holds one connection per role (AWS) or per application and subscription scope (Azure): connecting it
again is 409 naming the existing connection, while a retry with the same Idempotency-Key stays the first 201."""

import pytest

from cloudivize.aws_access.provider import AwsProvider
from tests.utils import AWS_ROLE_ARN, KmsCalls, aws_connection_body, azure_connection_body, call_api, claims_for

T1, T2 = claims_for("tenant-1", "user-1"), claims_for("tenant-2", "user-2", "bo@example.com")
ROLE_ARN = AWS_ROLE_ARN
DIRECTORY_ID = "11111111-2222-3333-4444-555555555555"
APPLICATION_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SUB_A, SUB_B = "99999999-8888-7777-6666-555555555555", "44444444-3333-2222-1111-000000000000"
SECRET = "Ab38Q~the-first-secret-0123456789-abcdef"


aws_body = aws_connection_body


def azure_body(**overrides):
    return azure_connection_body(directory_id=DIRECTORY_ID, application_id=APPLICATION_ID, secret=SECRET, **overrides)


def create(body, claims=T1, **headers):
    return call_api("POST", "/connections", claims=claims, body=body, headers=headers)


def stored_connections(cloud) -> list[dict]:
    return [item for item in cloud.items() if item["sk"].startswith("CONN#")]


def assert_duplicate_of(response, existing: dict) -> None:
    assert response.status == 409, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://cloudivize.com/problems/duplicate-connection"
    assert problem["title"] == "Connection already exists"
    assert problem["existing_connection_id"] == existing["id"]
    assert problem["detail"] == (
        f"Your organisation already has this connection: {existing['id']} ({existing['name']!r}). "
        f"Change that one (PATCH /connections/{existing['id']}) or delete it before adding it again."
    )


# --- AWS: the role ----------------------------------------------------------------------------------------
def test_connecting_the_same_role_again_is_409_naming_the_existing_connection(cloud):
    first = create(aws_body()).json()

    again = create(aws_body(name="Production again"))

    assert_duplicate_of(again, first)
    assert ROLE_ARN not in again.text and "123456789012" not in again.text  # sealed data stays out
    assert [item["connection_id"] for item in stored_connections(cloud)] == [first["id"]]


@pytest.mark.parametrize(
    "same_role",
    [
        "arn:aws:iam::123456789012:role/cloudivizereadonly",  # IAM role names ignore case
        "arn:aws:iam::123456789012:role/team/CloudivizeReadOnly",  # and are unique whatever their path
    ],
)
def test_the_same_role_spelled_otherwise_is_the_same_connection(cloud, same_role):
    first = create(aws_body()).json()

    assert_duplicate_of(create(aws_body(role_arn=same_role)), first)


@pytest.mark.parametrize(
    "other_role",
    [
        "arn:aws:iam::123456789012:role/CloudivizeOperator",  # another role of the account
        "arn:aws:iam::210987654321:role/CloudivizeReadOnly",  # the same name in another account
        "arn:aws-cn:iam::123456789012:role/CloudivizeReadOnly",  # another partition
    ],
)
def test_another_role_is_another_connection(cloud, other_role):
    create(aws_body())

    assert create(aws_body(role_arn=other_role)).status == 201


def test_another_tenant_connects_the_same_role_and_learns_nothing_of_the_first(cloud):
    create(aws_body(), claims=T1)

    assert create(aws_body(), claims=T2).status == 201


def test_a_deleted_connection_can_be_added_again(cloud):
    first = create(aws_body()).json()
    assert call_api("DELETE", f"/connections/{first['id']}", claims=T1).status == 204

    assert create(aws_body()).status == 201


def test_a_duplicate_is_refused_before_any_live_verification(cloud, monkeypatch):
    create(aws_body())
    verified = []
    monkeypatch.setattr(AwsProvider, "verify", lambda self, connection: verified.append(connection))

    response = create(aws_body(verify=True))

    assert response.status == 409
    assert verified == []


def test_looking_for_duplicates_costs_no_kms_call_once_the_data_keys_are_cached(cloud):
    first = create(aws_body()).json()
    for index in range(3):
        create(aws_body(name=f"Other {index}", role_arn=f"{ROLE_ARN}{index}"))
    call_api("GET", "/connections", claims=T1)  # a warm container: the descriptors' data key is cached

    with KmsCalls() as refusing:
        duplicate = create(aws_body())
    with KmsCalls() as adding:
        added = create(aws_body(role_arn=f"{ROLE_ARN}New"))

    assert duplicate.json()["existing_connection_id"] == first["id"]
    assert refusing == []  # the four connections' descriptors opened from cached data keys
    assert added.status == 201
    # Only the new record's own data key, to seal it: the answer is what was written, not read back.
    assert adding == ["GenerateDataKey"]


# --- Azure: the application over a subscription scope -----------------------------------------------------
def test_the_same_application_over_the_same_subscriptions_is_409(cloud):
    first = create(azure_body(subscription_ids=[SUB_A, SUB_B])).json()

    again = create(azure_body(name="Again", subscription_ids=[SUB_B, SUB_A]))  # a set: the order is no matter

    assert_duplicate_of(again, first)
    assert SECRET not in again.text and APPLICATION_ID not in again.text and SUB_A not in again.text


def test_the_same_application_over_every_visible_subscription_twice_is_409(cloud):
    first = create(azure_body()).json()

    assert_duplicate_of(create(azure_body(name="Again")), first)


def test_the_same_application_over_other_subscriptions_is_another_connection(cloud):
    create(azure_body(subscription_ids=[SUB_A]))

    other_scope = create(azure_body(name="B", subscription_ids=[SUB_B]))
    everything = create(azure_body(name="All"))

    assert (other_scope.status, everything.status) == (201, 201)
    assert len(stored_connections(cloud)) == 3


def test_changing_the_subscriptions_to_another_connections_scope_is_409_and_changes_nothing(cloud):
    first = create(azure_body(subscription_ids=[SUB_A])).json()
    second = create(azure_body(name="B", subscription_ids=[SUB_B])).json()
    path = f"/connections/{second['id']}"

    taken = call_api("PATCH", path, claims=T1, body={"version": 1, "subscription_ids": [SUB_A]})
    widened = call_api("PATCH", path, claims=T1, body={"version": 1, "subscription_ids": [SUB_B, SUB_A]})

    assert_duplicate_of(taken, first)
    assert widened.status == 200
    assert widened.json()["azure"]["subscription_ids"] == [SUB_B, SUB_A]


# --- retries ----------------------------------------------------------------------------------------------
def test_a_retry_with_the_same_idempotency_key_is_the_first_201_not_a_duplicate(cloud):
    first = create(aws_body(), **{"Idempotency-Key": "create-prod"})

    retry = create(aws_body(), **{"Idempotency-Key": "create-prod"})

    assert (first.status, retry.status) == (201, 201)
    assert retry.json() == first.json()
    assert len(stored_connections(cloud)) == 1


def test_the_same_body_with_a_new_idempotency_key_is_a_new_create_and_so_a_duplicate(cloud):
    first = create(aws_body(), **{"Idempotency-Key": "create-prod"}).json()

    assert_duplicate_of(create(aws_body(), **{"Idempotency-Key": "create-prod-2"}), first)
