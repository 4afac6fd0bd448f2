"""What a warm request costs in table reads: calls counted, never timed (the bench times)."""

import pytest

from tests.utils import ServiceCalls, call_api


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
    # The connection and its tenant's External ID share a partition: one BatchGetItem reads both.
    assert reads == ["BatchGetItem"], calls
