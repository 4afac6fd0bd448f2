"""AssumeRole as customers see it in CloudTrail: External ID, session name, source identity, reuse."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import ANY

from cloudivize.aws_access.sessions import CustomerSessions, source_identity_for
from cloudivize.errors import ServiceUnavailable, Unprocessable
from cloudivize.principal import Principal

ROLE = "arn:aws:iam::210987654321:role/CloudivizeAccess"
EXTERNAL_ID = "Z" * 48


def credentials(minutes=15):
    return {
        "AccessKeyId": "ASIAEXAMPLE000000000",
        "SecretAccessKey": "secret-from-sts",
        "SessionToken": "token-from-sts-0000",
        "Expiration": datetime.now(UTC) + timedelta(minutes=minutes),
    }


def assumed(minutes=15):
    return {
        "Credentials": credentials(minutes),
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:Cloudivize-Session",
            "Arn": "arn:aws:sts::210987654321:assumed-role/CloudivizeAccess/Cloudivize-Session",
        },
    }


def expected(**extra):
    return {
        "RoleArn": ROLE,
        "RoleSessionName": "Cloudivize-Session",
        "ExternalId": EXTERNAL_ID,
        "DurationSeconds": 900,
    } | extra


def test_assume_role_passes_the_external_id_the_session_name_and_the_user(sts):
    sts.add_response("assume_role", assumed(), expected(SourceIdentity="user-1"))

    session = CustomerSessions(Principal(None, "us-east-1")).open(
        tenant_id="t", user_id="user-1", role_arn=ROLE, external_id=EXTERNAL_ID
    )

    assert session.assumed_arn.endswith("/Cloudivize-Session")
    assert session.source_identity == "user-1"


def test_the_customer_access_role_is_assumed_first_and_then_reused(sts):
    broker = "arn:aws:iam::123456789012:role/Cloudivize-CustomerAccess"
    sts.add_response("assume_role", assumed(60), {"RoleArn": broker, "RoleSessionName": ANY, "DurationSeconds": 3600})
    sts.add_response("assume_role", assumed(), expected(SourceIdentity="user-1"))
    sts.add_response("assume_role", assumed(), expected(SourceIdentity="user-2"))
    sessions = CustomerSessions(Principal(broker, "us-east-1"))

    sessions.open(tenant_id="t", user_id="user-1", role_arn=ROLE, external_id=EXTERNAL_ID)
    sessions.open(tenant_id="t", user_id="user-2", role_arn=ROLE, external_id=EXTERNAL_ID)

    assert sessions.principal_arn == broker


def test_a_role_without_set_source_identity_is_assumed_without_it(sts):
    sts.add_client_error("assume_role", "AccessDenied", "not authorized", expected_params=expected(SourceIdentity=ANY))
    sts.add_response("assume_role", assumed(), expected())

    session = CustomerSessions(Principal(None, "us-east-1")).open(
        tenant_id="t", user_id="user-1", role_arn=ROLE, external_id=EXTERNAL_ID
    )

    assert session.source_identity is None


def test_sessions_are_reused_until_shortly_before_they_expire_and_then_renewed_in_place(sts):
    sts.add_response("assume_role", assumed(15), expected(SourceIdentity="user-1"))
    sts.add_response("assume_role", assumed(2), expected(SourceIdentity="user-2"))
    sts.add_response("assume_role", assumed(15), expected(SourceIdentity="user-2"))
    sessions = CustomerSessions(Principal(None, "us-east-1"))
    open_as = lambda user: sessions.open(tenant_id="t", user_id=user, role_arn=ROLE, external_id=EXTERNAL_ID)  # noqa: E731

    first = open_as("user-1")
    assert open_as("user-1") is first  # one AssumeRole for both
    expiring = open_as("user-2")
    expiry = expiring.expires_at
    renewed = open_as("user-2")  # two minutes left: AssumeRole again
    assert renewed is expiring and renewed.expires_at > expiry + timedelta(minutes=10)


class _Answer:
    """An empty DescribeRegions answer, played at the wire (botocore's before-send): the request was signed."""

    def __init__(self) -> None:
        self.signed_with: list[str] = []

    def __call__(self, request, **_):
        from botocore.awsrequest import AWSResponse

        self.signed_with.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0])
        body = b"<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>"
        return AWSResponse(request.url, 200, {}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


def test_clients_are_built_once_and_sign_with_renewed_credentials(sts):
    old, new = assumed(2), assumed(15)
    new["Credentials"] = new["Credentials"] | {"AccessKeyId": "ASIARENEWED000000000"}
    sts.add_response("assume_role", old, expected(SourceIdentity="user-1"))
    sts.add_response("assume_role", new, expected(SourceIdentity="user-1"))
    sessions = CustomerSessions(Principal(None, "us-east-1"))
    session = sessions.open(tenant_id="t", user_id="user-1", role_arn=ROLE, external_id=EXTERNAL_ID)
    answer = _Answer()
    session.session.events.register("before-send", answer)  # before any client: every client inherits it

    ec2 = session.client("ec2", "eu-west-1")
    ec2.describe_regions()
    renewed = sessions.open(tenant_id="t", user_id="user-1", role_arn=ROLE, external_id=EXTERNAL_ID)
    renewed.client("ec2", "eu-west-1").describe_regions()

    assert renewed is session and renewed.client("ec2", "eu-west-1") is ec2
    assert session.client("ec2", "us-east-1") is not ec2  # one client per (service, region)
    assert answer.signed_with == ["ASIAEXAMPLE000000000", "ASIARENEWED000000000"]
    assert "secret" not in repr(session) and "ASIA" not in repr(session)


def test_refusal_tells_the_customer_what_to_check_without_the_external_id(sts, debug_logs):
    sts.add_response("assume_role", assumed(60), {"RoleArn": ANY, "RoleSessionName": ANY, "DurationSeconds": 3600})
    refusal = "User is not authorized to perform sts:AssumeRole"
    sts.add_client_error("assume_role", "AccessDenied", refusal, expected_params=expected(SourceIdentity=ANY))
    sts.add_client_error("assume_role", "AccessDenied", refusal, expected_params=expected())

    with pytest.raises(Unprocessable) as refused:
        CustomerSessions(Principal("arn:aws:iam::123456789012:role/P", "us-east-1"))._assume(
            user_id="u", role_arn=ROLE, external_id=EXTERNAL_ID
        )

    detail = refused.value.detail
    assert "trust policy" in detail and "External ID" in detail and "arn:aws:iam::123456789012:role/P" in detail
    assert EXTERNAL_ID not in detail and EXTERNAL_ID not in str(refused.value.to_problem())
    assert EXTERNAL_ID not in debug_logs()


def test_throttling_after_retries_is_503(sts):
    sts.add_client_error("assume_role", "Throttling", "Rate exceeded", expected_params=expected(SourceIdentity=ANY))

    with pytest.raises(ServiceUnavailable):
        CustomerSessions(Principal(None, "us-east-1"))._assume(user_id="u", role_arn=ROLE, external_id=EXTERNAL_ID)


def test_region_without_sts_says_how_to_activate_it(sts):
    sts.add_client_error(
        "assume_role", "RegionDisabledException", "STS not activated", expected_params=expected(SourceIdentity=ANY)
    )

    with pytest.raises(Unprocessable) as refused:
        CustomerSessions(Principal(None, "us-east-1"))._assume(user_id="u", role_arn=ROLE, external_id=EXTERNAL_ID)

    assert "Activate it" in refused.value.detail


@pytest.mark.parametrize(
    ("user_id", "expected_identity"),
    [
        ("0f1e2d3c-aaaa-bbbb", "0f1e2d3c-aaaa-bbbb"),
        ("LoginWithAmazon_amzn1.account.X", "LoginWithAmazon_amzn1.account.X"),
        ("a b/c", "a-b-c"),
        ("x", "u-x"),
        ("y" * 100, "y" * 64),
    ],
)
def test_source_identity_follows_aws_character_rules(user_id, expected_identity):
    assert source_identity_for(user_id) == expected_identity
