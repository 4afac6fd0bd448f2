"""The emulator's outbound identity federation, as boto3 and an OIDC relying party (Entra) meet it: the account's
issuer, ``sts:GetWebIdentityToken``'s JWT, and the discovery document and JWKS that verify it, over HTTP."""

from __future__ import annotations

import re

import boto3
import jwt
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from infrastructure.local.aws.emulator import ACCOUNT_ID, DEFAULT_REGION, aws_client
from infrastructure.local.aws.provisioning import provision

CUSTOMER_ACCOUNT = "210987654321"
AUDIENCE = "api://cloudivize/organizations/org-1"
ROLE_NAME = "Cloudivize-CustomerAccess"
ISSUER = re.compile(r"^(?P<endpoint>http://127\.0\.0\.1:\d+)/_cloudivize/outbound-federation/[0-9a-f-]{36}$")


@pytest.fixture
def endpoint(emulator) -> str:
    """The shared emulator, reset to no roles and no account with outbound federation enabled."""
    requests.post(f"{emulator.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
    return emulator.endpoint_url


def client(service: str, endpoint: str, credentials: dict | None = None, **config):
    if credentials is None:
        return aws_client(service, endpoint, DEFAULT_REGION)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=DEFAULT_REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=Config(**config),
    )


def role_session_sts(endpoint: str, *, path: str = "/", account_id: str = ACCOUNT_ID, **config):
    """STS with the credentials of a session of a role (as the functions assume the customer-access role)."""
    role_arn = f"arn:aws:iam::{account_id}:role{path}{ROLE_NAME}"
    if account_id == ACCOUNT_ID:
        client("iam", endpoint).create_role(RoleName=ROLE_NAME, Path=path, AssumeRolePolicyDocument="{}")
    else:  # moto's administrator role of a member account, as customer_account seeds one
        role_arn = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    assumed = client("sts", endpoint).assume_role(RoleArn=role_arn, RoleSessionName="Cloudivize-Broker")
    return client("sts", endpoint, assumed["Credentials"], **config), role_arn


def get_json(url: str) -> dict:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def error_of(call) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


def code_and_status(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_enabling_makes_the_account_issuer_once_and_a_second_enabling_is_feature_enabled(endpoint):
    iam = client("iam", endpoint)

    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    with pytest.raises(iam.exceptions.FeatureEnabledException) as again:
        iam.enable_outbound_web_identity_federation()

    assert ISSUER.match(issuer)["endpoint"] == endpoint
    assert code_and_status(again.value) == ("FeatureEnabled", 409)
    assert iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"] == issuer


def test_the_info_is_feature_disabled_before_enabling_and_names_the_issuer_and_vending_after(endpoint):
    iam = client("iam", endpoint)

    with pytest.raises(iam.exceptions.FeatureDisabledException) as before:
        iam.get_outbound_web_identity_federation_info()
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    info = iam.get_outbound_web_identity_federation_info()

    assert code_and_status(before.value) == ("FeatureDisabled", 404)
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)


@pytest.mark.parametrize(("algorithm", "key_type"), [("RS256", "RSA"), ("ES384", "EC")])
def test_a_role_session_token_verifies_against_the_jwks_of_the_issuer_discovery_document(endpoint, algorithm, key_type):
    issuer = client("iam", endpoint).enable_outbound_web_identity_federation()["IssuerIdentifier"]
    sts, role_arn = role_session_sts(endpoint, path="/cloudivize/")

    answer = sts.get_web_identity_token(Audience=[AUDIENCE], DurationSeconds=300, SigningAlgorithm=algorithm)
    token = answer["WebIdentityToken"]
    discovery = get_json(issuer + "/.well-known/openid-configuration")
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=[algorithm], audience=AUDIENCE, issuer=issuer)

    assert role_arn == f"arn:aws:iam::{ACCOUNT_ID}:role/cloudivize/{ROLE_NAME}"
    assert claims["sub"] == role_arn  # the role, not the session arn:aws:sts::…:assumed-role/…/Cloudivize-Broker
    assert claims["aud"] == AUDIENCE
    assert claims["iss"] == issuer
    assert claims["exp"] - claims["iat"] == 300
    assert claims["nbf"] == claims["iat"]
    assert claims["https://sts.amazonaws.com/"] == {
        "aws_account": ACCOUNT_ID,
        "source_region": DEFAULT_REGION,
        "principal_id": role_arn,
    }
    assert answer["Expiration"].timestamp() == claims["exp"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == algorithm
    assert signing_key.key_id == header["kid"]
    [published] = [key for key in get_json(discovery["jwks_uri"])["keys"] if key["kid"] == header["kid"]]
    assert (published["kty"], published["alg"], published["use"]) == (key_type, algorithm, "sig")


def test_the_discovery_document_and_jwks_are_public_and_name_both_algorithms(endpoint):
    issuer = client("iam", endpoint).enable_outbound_web_identity_federation()["IssuerIdentifier"]

    discovery = get_json(issuer + "/.well-known/openid-configuration")  # no credentials: public, as in AWS
    keys = get_json(discovery["jwks_uri"])["keys"]

    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == issuer + "/.well-known/jwks.json"
    assert discovery["response_types_supported"] == ["id_token"]
    assert discovery["subject_types_supported"] == ["public"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256", "ES384"]
    assert [(key["kty"], key["alg"]) for key in keys] == [("RSA", "RS256"), ("EC", "ES384")]
    rsa, ec = keys
    assert {"n", "e", "kid"} <= rsa.keys() and rsa["e"] == "AQAB"
    assert {"x", "y", "kid"} <= ec.keys() and ec["crv"] == "P-384"
    assert "d" not in rsa and "d" not in ec  # only the public halves
    assert rsa["kid"] != ec["kid"]


def test_an_issuer_no_account_enabled_is_not_found_and_only_get_is_served(endpoint):
    issuer = client("iam", endpoint).enable_outbound_web_identity_federation()["IssuerIdentifier"]
    unknown = issuer.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"

    not_found = requests.get(unknown + "/.well-known/openid-configuration", timeout=10)
    posted = requests.post(issuer + "/.well-known/jwks.json", timeout=10)

    assert not_found.status_code == 404
    assert posted.status_code == 405


def test_several_audiences_are_a_list_the_default_lifetime_is_300_s_and_tags_become_request_tags(endpoint):
    client("iam", endpoint).enable_outbound_web_identity_federation()
    sts, _ = role_session_sts(endpoint)

    token = sts.get_web_identity_token(
        Audience=[AUDIENCE, "api://other"], SigningAlgorithm="RS256", Tags=[{"Key": "tenant", "Value": "t-1"}]
    )["WebIdentityToken"]
    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["aud"] == [AUDIENCE, "api://other"]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"tenant": "t-1"}


def test_each_token_has_its_own_jti(endpoint):
    client("iam", endpoint).enable_outbound_web_identity_federation()
    sts, _ = role_session_sts(endpoint)

    tokens = [sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256") for _ in range(2)]

    assert len({jwt.decode(t["WebIdentityToken"], options={"verify_signature": False})["jti"] for t in tokens}) == 2


@pytest.mark.parametrize(
    ("arguments", "member"),
    [
        ({"DurationSeconds": 30, "SigningAlgorithm": "RS256"}, "'30' at 'durationSeconds'"),
        ({"DurationSeconds": 3601, "SigningAlgorithm": "RS256"}, "'3601' at 'durationSeconds'"),
        ({"SigningAlgorithm": "HS256"}, "'HS256' at 'signingAlgorithm'"),
    ],
)
def test_a_duration_outside_60_to_3600_or_another_algorithm_is_a_validation_error(endpoint, arguments, member):
    client("iam", endpoint).enable_outbound_web_identity_federation()
    # botocore checks the duration's minimum itself: the emulator's own answer needs it unchecked.
    sts, _ = role_session_sts(endpoint, parameter_validation=False)

    error = error_of(lambda: sts.get_web_identity_token(Audience=[AUDIENCE], **arguments))

    assert code_and_status(error) == ("ValidationError", 400)
    assert (
        f"1 validation error detected: Value {member} failed to satisfy constraint"
        in error.response["Error"]["Message"]
    )


def test_before_enabling_a_token_is_refused_as_outbound_federation_disabled(endpoint):
    sts, _ = role_session_sts(endpoint)

    error = error_of(lambda: sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256"))

    assert code_and_status(error) == ("OutboundWebIdentityFederationDisabledException", 403)
    assert isinstance(error, sts.exceptions.OutboundWebIdentityFederationDisabledException)


def test_enabling_is_per_account_another_account_is_still_refused(endpoint):
    client("iam", endpoint).enable_outbound_web_identity_federation()
    sts, _ = role_session_sts(endpoint, account_id=CUSTOMER_ACCOUNT)

    error = error_of(lambda: sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256"))

    assert code_and_status(error) == ("OutboundWebIdentityFederationDisabledException", 403)


def test_disabling_stops_the_tokens_and_enabling_again_keeps_the_issuer(endpoint):
    iam = client("iam", endpoint)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    sts, _ = role_session_sts(endpoint)

    iam.disable_outbound_web_identity_federation()
    disabled_info = iam.get_outbound_web_identity_federation_info()
    refused = error_of(lambda: sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256"))
    again = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]

    assert (disabled_info["IssuerIdentifier"], disabled_info["JwtVendingEnabled"]) == (issuer, False)
    assert code_and_status(refused) == ("OutboundWebIdentityFederationDisabledException", 403)
    assert again == issuer
    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")["WebIdentityToken"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == issuer


def test_provisioning_enables_the_stack_account_and_records_its_issuer_for_the_customer_access_role(endpoint):
    resources = provision(endpoint, DEFAULT_REGION)
    assumed = client("sts", endpoint).assume_role(
        RoleArn=resources.customer_access_role_arn, RoleSessionName="Cloudivize-Broker"
    )
    sts = client("sts", endpoint, assumed["Credentials"])

    token = sts.get_web_identity_token(Audience=[AUDIENCE], DurationSeconds=300, SigningAlgorithm="RS256")
    claims = jwt.decode(token["WebIdentityToken"], options={"verify_signature": False})
    info = client("iam", endpoint).get_outbound_web_identity_federation_info()

    assert ISSUER.match(resources.web_identity_issuer)["endpoint"] == endpoint
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (resources.web_identity_issuer, True)
    assert (claims["iss"], claims["sub"]) == (resources.web_identity_issuer, resources.customer_access_role_arn)
