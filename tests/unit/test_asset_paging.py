"""Asset pages continue where the previous page left each source, through the handlers against moto accounts:
every asset once, in the documented order, a later page costing no more AWS calls than the first, and a token
only its own tenant, connection and query can use."""

import base64
import json
from collections import Counter
from unittest import mock

import pytest
from botocore.client import BaseClient

from cloudivize import paging
from infrastructure.local.customer_account import account_session, seed_customer_account
from tests.conftest import PRINCIPAL_ARN
from tests.utils import KmsCalls, call_api

REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
CUSTOMER_SERVICES = frozenset({"ec2", "rds", "lambda", "resourcegroupstaggingapi", "s3"})
# The documented order: the account's buckets, then region by region, in each its EC2 instances, RDS databases,
# Lambda functions and other tagged resources.
SOURCE_RANK = {"s3:bucket": 0, "ec2:instance": 1, "rds:db": 2, "lambda:function": 3}


class CustomerCalls(Counter):
    """The operations every boto client makes on a customer's services inside ``with CustomerCalls() as calls:``."""

    def __enter__(self):
        make_api_call = BaseClient._make_api_call

        def counting(client, operation, params):
            if client.meta.service_model.service_name in CUSTOMER_SERVICES:
                self[f"{client.meta.service_model.service_name}.{operation}"] += 1
            return make_api_call(client, operation, params)

        self._patch = mock.patch.object(BaseClient, "_make_api_call", counting)
        self._patch.start()
        return self

    def __exit__(self, *exc_info):
        self._patch.stop()

    @property
    def total(self) -> int:
        return sum(self.values())


def connect(customer, role_arn=None, regions=REGIONS):
    body = {"provider": "aws", "name": "Demo", "role_arn": role_arn or customer.account.role_arn, "regions": regions}
    response = call_api("POST", "/connections", claims=customer.claims, body=body)
    assert response.status == 201, response.text
    return response.json()["id"]


def assets(customer, connection_id, query=""):
    return call_api("GET", f"/connections/{connection_id}/assets", claims=customer.claims, query=query)


def walk(customer, connection_id, query):
    """Every page of a query: the pages' bodies and the AWS calls each made."""
    pages, token = [], None
    while True:
        with CustomerCalls() as calls:
            response = assets(customer, connection_id, query + (f"&next_token={token}" if token else ""))
        assert response.status == 200, response.text
        pages.append((response.json(), calls))
        token = response.json()["next_token"]
        if token is None:
            return pages


@pytest.fixture
def seeded(customer):
    """Beyond the two instances per region and the bucket: 12 more instances in eu-west-1, launched one by
    one, and two tagged volumes in us-west-2 (listed by the tagging API)."""
    session = account_session(customer.account.account_id)
    ec2 = session.client("ec2", region_name="eu-west-1")
    for _ in range(12):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    west = session.client("ec2", region_name="us-west-2")
    volumes = []
    for number in range(2):
        volume = west.create_volume(AvailabilityZone="us-west-2a", Size=1)["VolumeId"]
        west.create_tags(Resources=[volume], Tags=[{"Key": "backup", "Value": str(number)}])
        volumes.append(volume)
    return customer, volumes


def rank(asset):
    return (0,) if asset["type"] == "s3:bucket" else (1, asset["region"], SOURCE_RANK.get(asset["type"], 4))


def test_walking_every_page_shows_every_asset_once_in_the_documented_order(seeded):
    customer, volumes = seeded
    connection_id = connect(customer)

    pages = walk(customer, connection_id, "limit=4")
    everything = assets(customer, connection_id, "limit=500").json()

    walked = [asset for page, _ in pages for asset in page["items"]]
    assert [len(page["items"]) for page, _ in pages] == [4, 4, 4, 4, 3]
    assert [a["arn"] for a in walked] == [a["arn"] for a in everything["items"]]  # no skip, no repeat
    assert len({a["arn"] for a in walked}) == len(walked) == 19  # a bucket, 14 + 2 instances, 2 volumes
    assert [rank(a) for a in walked] == sorted(rank(a) for a in walked)
    assert walked[0]["type"] == "s3:bucket" and walked[0]["id"] == customer.account.bucket
    assert [a["id"] for a in walked if a["type"] == "ec2:volume"] == volumes
    assert {a["id"] for a in walked if a["type"] == "ec2:instance" and a["region"] == "us-east-1"} == set(
        customer.account.instance_ids["us-east-1"]
    )
    assert all(page["errors"] == [] for page, _ in pages)


def test_a_later_page_costs_no_more_calls_than_the_first_and_the_walk_about_one_listing(seeded):
    customer, _ = seeded
    connection_id = connect(customer)
    assets(customer, connection_id)  # the container is warm: clients built, credentials held

    pages = walk(customer, connection_id, "limit=4")
    with CustomerCalls() as one_listing:
        assert assets(customer, connection_id, "limit=500").json()["next_token"] is None

    first, *later = [calls.total for _, calls in pages]
    # Page 1 asks each of the 13 sources (S3, then 4 per region) once, plus the bucket's region and its tags.
    assert first == 15 == one_listing.total
    assert all(calls <= first for calls in later)
    # Each source that still has items is read once more where it continues, in one call that reaches the end
    # of what its page shows (past the items shown already).
    assert sum(later) == 6
    assert first + sum(later) <= 1.5 * one_listing.total


def test_a_page_reads_only_the_sources_that_still_have_items(seeded):
    customer, _ = seeded
    connection_id = connect(customer)
    first = assets(customer, connection_id, "limit=4").json()

    with CustomerCalls() as calls:
        second = assets(customer, connection_id, f"limit=4&next_token={first['next_token']}").json()

    # Page 1 showed the bucket and three eu-west-1 instances; the empty sources (RDS, Lambda...) are not read
    # again: only eu-west-1's instances, from where they were left: their first page once more, sized for the
    # three shown and the four this page needs (EC2 pages by reservation, each holding one instance or more).
    assert calls == {"ec2.DescribeInstances": 1}
    assert [a["region"] for a in second["items"]] == ["eu-west-1"] * 4


def test_the_token_is_sealed_opaque_and_refused_once_tampered_with(seeded):
    customer, _ = seeded
    connection_id = connect(customer)
    token = assets(customer, connection_id, "limit=4").json()["next_token"]
    opened = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))

    assert len(token) <= paging.MAX_TOKEN_CHARS
    assert b"eu-west-1" not in opened and b"ec2" not in opened and b"offset" not in opened
    tampered = token[:60] + ("A" if token[60] != "A" else "B") + token[61:]
    for forged in (tampered, token[:-8], "x" + token, base64.urlsafe_b64encode(json.dumps({"offset": 4}).encode())):
        forged = forged.decode() if isinstance(forged, bytes) else forged
        response = assets(customer, connection_id, f"limit=4&next_token={forged}")
        assert response.status == 400, forged
        assert response.json()["detail"] == paging.NOT_ISSUED


def test_a_token_continues_only_its_tenant_connection_and_query(seeded, cloud):
    customer, _ = seeded
    connection_id = connect(customer)
    token = assets(customer, connection_id, "limit=4").json()["next_token"]
    # The same tenant's second connection (another role), and another tenant with its own account and role.
    session = account_session(customer.account.account_id).client("iam")
    trust = session.get_role(RoleName=customer.account.role_arn.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
    other_role = session.create_role(RoleName="CloudivizeAccessTwo", AssumeRolePolicyDocument=json.dumps(trust))
    second_connection = connect(customer, other_role["Role"]["Arn"])
    other_claims = cloud.confirm_user("other@example.com")
    from cloudivize.aws_access.onboarding import trust_policy

    other_account = seed_customer_account(
        trust_policy=trust_policy(PRINCIPAL_ARN, cloud.external_id(other_claims["custom:tenant_id"])),
        account_id="222233334444",
    )
    other = type(customer)(claims=other_claims, external_id="", account=other_account)
    other_connection = connect(other)

    for who, where, query in (
        (customer, second_connection, "limit=4"),
        (other, other_connection, "limit=4"),
    ):
        refused = assets(who, where, f"{query}&next_token={token}")
        assert refused.status == 400 and refused.json()["detail"] == paging.NOT_ISSUED
    for query in ("type=ec2:instance&limit=4", "region=eu-west-1&limit=4"):
        refused = assets(customer, connection_id, f"{query}&next_token={token}")
        assert refused.status == 400 and refused.json()["detail"] == paging.OTHER_QUERY
    assert assets(customer, connection_id, f"limit=9&next_token={token}").status == 200  # the page size may change


def test_an_expired_token_is_refused(seeded, monkeypatch):
    customer, _ = seeded
    connection_id = connect(customer)
    token = assets(customer, connection_id, "limit=4").json()["next_token"]
    issued = paging.time.time()
    monkeypatch.setattr(paging.time, "time", lambda: issued + paging.TOKEN_TTL_SECONDS + 1)

    response = assets(customer, connection_id, f"limit=4&next_token={token}")

    assert response.status == 400 and response.json()["detail"] == paging.EXPIRED


def test_a_token_longer_than_any_issued_is_invalid_before_any_call(seeded):
    customer, _ = seeded
    connection_id = connect(customer)

    with CustomerCalls() as calls:
        response = assets(customer, connection_id, f"next_token={'A' * (paging.MAX_TOKEN_CHARS + 1)}")

    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "next_token"
    assert calls.total == 0


def test_a_connection_whose_regions_changed_refuses_the_old_token(seeded):
    customer, _ = seeded
    connection_id = connect(customer)
    token = assets(customer, connection_id, "limit=4").json()["next_token"]
    version = call_api("GET", f"/connections/{connection_id}", claims=customer.claims).json()["version"]
    patched = call_api("PATCH", f"/connections/{connection_id}", claims=customer.claims,
                       body={"version": version, "regions": ["eu-west-1"]})  # fmt: skip
    assert patched.status == 200, patched.text

    response = assets(customer, connection_id, f"limit=4&next_token={token}")

    assert response.status == 400 and response.json()["detail"] == paging.SCOPE_CHANGED


def test_warm_pages_cost_no_kms_call(seeded):
    customer, _ = seeded
    connection_id = connect(customer)
    first = assets(customer, connection_id, "limit=4").json()
    second = assets(customer, connection_id, f"limit=4&next_token={first['next_token']}").json()

    with KmsCalls() as kms:
        third = assets(customer, connection_id, f"limit=4&next_token={second['next_token']}")

    assert third.status == 200 and third.json()["next_token"]
    assert kms == []  # the page token's data key is cached, sealing and opening alike


def test_lambda_functions_and_buckets_get_their_tags_for_the_page_only(customer):
    import io
    import zipfile

    session = account_session(customer.account.account_id)
    role = session.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("f.py", "def handler(event, context): return None")
    functions = session.client("lambda", region_name="eu-west-1")
    functions.create_function(FunctionName="tagged", Runtime="python3.12", Role=role, Handler="f.handler",
                              Code={"ZipFile": code.getvalue()}, Tags={"team": "data"})  # fmt: skip
    functions.create_function(FunctionName="plain", Runtime="python3.12", Role=role, Handler="f.handler",
                              Code={"ZipFile": code.getvalue()})  # fmt: skip
    connection_id = connect(customer, regions=["eu-west-1", "us-east-1"])

    with CustomerCalls() as calls:
        page = assets(customer, connection_id, "type=lambda:function&type=s3:bucket").json()

    tags = {a["id"]: a["tags"] for a in page["items"]}
    assert tags == {customer.account.bucket: {"env": "demo"}, "tagged": {"team": "data"}, "plain": {}}
    # One listing per source, the bucket's region, and one tagging call per region of the page.
    assert calls == {"s3.ListBuckets": 1, "s3.GetBucketLocation": 1, "lambda.ListFunctions": 2,
                     "resourcegroupstaggingapi.GetResources": 2}  # fmt: skip
