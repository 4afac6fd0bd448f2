"""What a warm request costs in table reads: calls counted, never timed (the bench times)."""

import pytest

from tests.utils import KmsCalls, ServiceCalls, call_api


@pytest.fixture
def connection_id(operating_customer):
    body = {
        "provider": "aws",
        "name": "Demo",
        "role_arn": operating_customer.account.role_arn,
        "regions": ["us-east-1"],
    }
    response = call_api("POST", "/connections", claims=operating_customer.claims, body=body)
    assert response.status == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    ("method", "suffix", "query", "body"),
    [
        ("GET", "/assets", "type=ec2:instance", None),
        ("POST", "/actions", "", {"action": "tag", "asset_ids": ["i-0123456789abcdef0"], "region": "us-east-1",
                                  "tags": {"team": "a"}}),
        ("POST", "/verify", "", None),
    ],
)  # fmt: skip
def test_a_warm_request_on_a_customer_cloud_reads_the_table_once(
    operating_customer, connection_id, method, suffix, query, body
):
    path = f"/connections/{connection_id}{suffix}"
    call = {"claims": operating_customer.claims, "body": body, "query": query}
    assert call_api(method, path, **call).status == 200  # warms the container

    with ServiceCalls("dynamodb") as calls:
        response = call_api(method, path, **call)

    assert response.status == 200, response.text
    reads = [call for call in calls if call in ("GetItem", "BatchGetItem", "Query", "Scan")]
    # The caller's memberships (authority is read on every request: one Query of their partition), then the
    # connection and its organization's External ID, which share a partition: one BatchGetItem reads both.
    assert reads == ["Query", "BatchGetItem"], calls


def test_creating_a_connection_does_not_read_back_what_it_wrote(cloud):
    claims = cloud.confirm_user("creator@example.com")
    body = {"provider": "aws", "name": "Prod", "role_arn": "arn:aws:iam::123456789012:role/Ro", "verify": False}

    with ServiceCalls("dynamodb") as table_calls, KmsCalls() as kms_calls:
        response = call_api("POST", "/connections", claims=claims, body=body)

    assert response.status == 201, response.text
    assert "GetItem" not in table_calls and "BatchGetItem" not in table_calls, table_calls
    assert "Decrypt" not in kms_calls, kms_calls  # sealing its descriptors is all the KMS it needs


def test_an_idempotent_retry_answers_the_stored_connection(cloud):
    claims = cloud.confirm_user("retrier@example.com")
    body = {"provider": "aws", "name": "Prod", "role_arn": "arn:aws:iam::123456789012:role/Ro", "verify": False}
    headers = {"Idempotency-Key": "create-once"}

    first = call_api("POST", "/connections", claims=claims, body=body, headers=headers)
    retried = call_api("POST", "/connections", claims=claims, body=body, headers=headers)

    assert (first.status, retried.status) == (201, 201)
    assert retried.json() == first.json() and retried.headers["Location"] == first.headers["Location"]


# More connections than the data-key cache once held (256 entries): a warm full listing must not thrash it.
MANY_CONNECTIONS = 300


def test_a_warm_full_listing_of_many_connections_costs_no_kms_call(cloud, monkeypatch):
    from cloudivize.composition import backend
    from cloudivize.connections import Connections
    from cloudivize.models.connections import AwsConnectionCreate
    from cloudivize.tenancy import Caller

    # Seeding only: each create would otherwise open every earlier connection to refuse a duplicate.
    monkeypatch.setattr(Connections, "_refuse_duplicate", lambda *_: None)

    claims = cloud.confirm_user("many@example.com")
    caller = Caller(
        user_id=claims["sub"], username="many", email=None, tenant_id=claims["custom:tenant_id"], sign_in_mode="local"
    )
    connections = backend().connections(caller)
    for index in range(MANY_CONNECTIONS):
        role = f"arn:aws:iam::{100000000000 + index}:role/Ro"
        connections.create(AwsConnectionCreate(provider="aws", name=f"c{index}", role_arn=role, verify=False))

    def list_all() -> list[str]:
        ids, token = [], None
        while True:
            page = call_api(
                "GET", "/connections", claims=claims, query=f"limit=100{token and f'&next_token={token}' or ''}"
            )
            assert page.status == 200, page.text
            ids += [item["id"] for item in page.json()["items"]]
            token = page.json()["next_token"]
            if token is None:
                return ids

    assert len(list_all()) == MANY_CONNECTIONS  # warms the cache
    with KmsCalls() as calls:
        assert len(list_all()) == MANY_CONNECTIONS

    assert calls == []
