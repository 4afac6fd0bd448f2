"""Azure connections without a stored secret, through the handlers: federated (the principal's web identity token,
with the organization's audience) and certificate (issued by Cloudivize, rotated without interruption).

The real azure-identity credentials (ClientAssertionCredential, CertificateCredential) sign in to the fake Entra
through the SDK's transport; the tokens are minted by the emulator's ``sts:GetWebIdentityToken`` in this process's
moto, and the fake checks them against the emulator's own public keys, as Entra checks AWS's.
"""

from __future__ import annotations

import base64

import boto3
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from cloudivize.principal import Principal
from infrastructure.local.aws.web_identity import outbound_federation_enforced
from tests.azure_fake import (
    APPLICATION_ID,
    DIRECTORY_ID,
    READER,
    SECRET,
    SUB_A,
    VM_CONTRIBUTOR,
    WEB_1,
    FakeAzure,
    clear_azure_caches,
    plug_fake_transport,
    plug_transport_as_configured,
)
from tests.conftest import PRINCIPAL_ARN
from tests.utils import call_api, claims_for

ISSUER_BASE = "https://sts.emulated.test"


class EmulatorKeys:
    """The issuer's keys as Entra would fetch them (discovery → JWKS), here straight from the emulator's keys."""

    def __init__(self, keys) -> None:
        self._by_kid = {key.kid: key.private_key.public_key() for key in keys.values()}

    def signing_key(self, issuer: str, token: str):
        return self._by_kid[jwt.get_unverified_header(token)["kid"]]


@pytest.fixture
def federation(cloud, monkeypatch):
    """Outbound identity federation enabled for Cloudivize's account; the functions know its issuer."""
    with outbound_federation_enforced(ISSUER_BASE) as keys:
        issuer = boto3.client("iam").enable_outbound_web_identity_federation()["IssuerIdentifier"]
        monkeypatch.setenv("AZURE_FEDERATION_ISSUER", issuer)
        yield issuer, EmulatorKeys(keys)


@pytest.fixture
def azure(monkeypatch, federation):
    """The fake Entra, trusting the emulator's keys for its issuer (overrides the plain ``azure`` fixture)."""
    fake = FakeAzure(issuer_keys=federation[1])
    fake.subscriptions[SUB_A].permissions = [READER, VM_CONTRIBUTOR]
    plug_fake_transport(monkeypatch, fake)
    yield fake
    clear_azure_caches()


@pytest.fixture
def ana(cloud):
    return claims_for("tenant-ana", "user-ana")


@pytest.fixture
def bo(cloud):
    return claims_for("tenant-bo", "user-bo", email="bo@example.com")


def body(credential_type: str, **overrides):
    return {
        "provider": "azure",
        "name": f"Subscriptions ({credential_type})",
        "credential_type": credential_type,
        "directory_id": DIRECTORY_ID,
        "application_id": APPLICATION_ID,
        "subscription_ids": [SUB_A],
    } | overrides


def onboarding(claims) -> dict:
    response = call_api("GET", "/onboarding/azure", claims=claims)
    assert response.status == 200, response.text
    return next(o for o in response.json()["credential_types"] if o["credential_type"] == "federated")


def trust_cloudivize(fake, claims) -> dict:
    """What the customer does with the onboarding's values: the application's federated credential."""
    credential = onboarding(claims)["federated_credential"]
    fake.add_federated_credential(
        APPLICATION_ID, "Cloudivize", credential["issuer"], credential["subject"], credential["audience"]
    )
    return credential


def checks(response) -> dict:
    return {check["name"]: check for check in response.json()["checks"]}


# --- federated --------------------------------------------------------------------------------------------
def test_onboarding_names_the_issuer_the_principal_and_an_audience_of_the_organization_first(federation, ana, bo):
    issuer, _ = federation
    listed = call_api("GET", "/onboarding/azure", claims=ana).json()["credential_types"]
    mine, theirs = onboarding(ana)["federated_credential"], onboarding(bo)["federated_credential"]

    assert [o["credential_type"] for o in listed] == ["federated", "certificate", "secret"]
    assert [o["recommended"] for o in listed] == [True, False, False]
    assert (mine["issuer"], mine["subject"]) == (issuer, PRINCIPAL_ARN)
    assert mine["audience"].startswith("api://cloudivize/organizations/") and len(mine["audience"]) <= 600
    assert mine["audience"] != theirs["audience"]
    assert onboarding(ana)["federated_credential"] == mine  # stable: what the customer registered keeps working
    assert mine["parameters"] == {
        "name": "Cloudivize",
        "issuer": issuer,
        "subject": PRINCIPAL_ARN,
        "audiences": [mine["audience"]],
        "description": "Cloudivize signs in with its AWS identity token (no secret)",
    }
    [command] = listed[0]["commands"]
    assert command.startswith("az ad app federated-credential create --id <APPLICATION_ID> --parameters '{")


def test_a_federated_connection_verifies_lists_and_operates_with_no_secret_anywhere(
    azure, ana, debug_logs, caplog, monkeypatch
):
    trust_cloudivize(azure, ana)
    minted: list[str] = []
    original = Principal.web_identity_token

    def recorded(self, audience: str) -> str:
        minted.append(original(self, audience))
        return minted[-1]

    monkeypatch.setattr(Principal, "web_identity_token", recorded)

    created = call_api("POST", "/connections", claims=ana, body=body("federated"))
    assert created.status == 201, created.text
    connection = created.json()
    listed = call_api("GET", f"/connections/{connection['id']}/assets", claims=ana,
                      query="type=Microsoft.Compute/virtualMachines")  # fmt: skip
    acted = call_api("POST", f"/connections/{connection['id']}/actions", claims=ana,
                     body={"action": "deallocate", "asset_ids": [WEB_1]})  # fmt: skip

    assert connection["status"] == "verified"
    assert connection["azure"] == {
        "directory_id": DIRECTORY_ID, "application_id": APPLICATION_ID, "subscription_ids": [SUB_A],
        "credential_type": "federated", "secret_hint": None, "secret_expires_at": None, "certificate": None,
        "previous_certificate_thumbprint": None,
    }  # fmt: skip
    assert [(a["name"], a["state"]) for a in listed.json()["items"]] == [("web-1", "running"), ("web-2", "deallocated")]
    assert acted.json()["results"][0]["ok"] is True
    assert azure.subscriptions[SUB_A].vms[0].power == "deallocated"
    # The token Entra received: the principal's, with the organization's audience, short-lived, RS256.
    assert minted, "no web identity token was minted"
    claims = jwt.decode(minted[0], options={"verify_signature": False})
    header = jwt.get_unverified_header(minted[0])
    audience = onboarding(ana)["federated_credential"]["audience"]
    assert (claims["sub"], claims["aud"], header["alg"]) == (PRINCIPAL_ARN, audience, "RS256")
    assert claims["exp"] - claims["iat"] == 300
    assert [r.get("client_assertion_type") for r in azure.token_requests] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]  # one sign-in, its Entra token reused by the later requests
    # Every line at DEBUG, but botocore's own dump of the STS response (its wire log, which Lambda leaves at
    # WARNING): that the token is in the answer of GetWebIdentityToken is its purpose.
    logs = debug_logs()
    for record in caplog.records:
        if record.name == "botocore.parsers":
            logs = logs.replace(record.getMessage(), "")
    assert not any(token in logs for token in minted)
    assert not any(token.split(".")[2] in logs for token in minted)


def test_another_organization_cannot_sign_in_as_an_application_that_trusts_one(azure, ana, bo):
    """The confused deputy: bo knows ana's application and directory ids, and Cloudivize signs in for both."""
    trust_cloudivize(azure, ana)

    refused = call_api("POST", "/connections", claims=bo, body=body("federated"))
    smuggled = call_api(
        "POST", "/connections", claims=bo,
        body=body("federated", audience=onboarding(ana)["federated_credential"]["audience"]),
    )  # fmt: skip

    assert refused.status == 422, refused.text
    detail = checks(refused)["credential_accepted"]["detail"]
    assert "another audience than your organization's (AADSTS700212)" in detail
    assert onboarding(bo)["federated_credential"]["audience"] in detail
    assert smuggled.status == 422 and smuggled.json()["errors"][0]["field"] == "audience"  # no such field
    assert call_api("GET", "/connections", claims=bo).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "code", "says"),
    [
        ({"subject": "arn:aws:iam::123456789012:role/Someone-Else"}, "AADSTS700213", "another subject"),
        ({"issuer": "https://sts.other.test/issuer"}, "AADSTS700211", "names Cloudivize's issuer"),
    ],
)
def test_a_federated_credential_that_names_something_else_says_what_to_fix(azure, ana, change, code, says):
    credential = onboarding(ana)["federated_credential"] | change
    azure.add_federated_credential(
        APPLICATION_ID, "Cloudivize", credential["issuer"], credential["subject"], credential["audience"]
    )

    refused = call_api("POST", "/connections", claims=ana, body=body("federated"))

    assert refused.status == 422, refused.text
    assert says in checks(refused)["credential_accepted"]["detail"]
    assert f"({code})" in checks(refused)["credential_accepted"]["detail"]


def test_a_federated_or_certificate_body_carries_no_secret(azure, ana):
    with_secret = call_api(
        "POST", "/connections", claims=ana,
        body=body("federated", application_secret="kX28Q~Ex4mpleSecretValue.NotReal-AbCdEf1"),
    )  # fmt: skip
    with_expiry = call_api(
        "POST", "/connections", claims=ana, body=body("certificate", secret_expires_at="2027-01-01T00:00:00Z")
    )
    verified_certificate = call_api("POST", "/connections", claims=ana, body=body("certificate", verify=True))
    secret_missing = call_api("POST", "/connections", claims=ana, body=body("secret"))

    refusals = (with_secret, with_expiry, verified_certificate, secret_missing)
    assert [(r.status, [e["field"] for e in r.json()["errors"]]) for r in refusals] == [
        (422, ["application_secret"]), (422, ["secret_expires_at"]), (422, ["verify"]), (422, ["application_secret"])
    ]  # fmt: skip


# --- certificate --------------------------------------------------------------------------------------------
def register(fake, certificate: dict) -> None:
    """What the customer does with the answer: the certificate added to the application (az or Graph)."""
    der = base64.b64decode(certificate["key_credential"]["key"])
    fake.applications[APPLICATION_ID].add_certificate(x509.load_der_x509_certificate(der))


def test_a_certificate_connection_is_issued_then_verified_once_its_certificate_is_added(azure, ana, debug_logs):
    created = call_api("POST", "/connections", claims=ana, body=body("certificate"))
    assert created.status == 201, created.text
    connection = created.json()
    certificate = connection["azure"]["certificate"]
    before = call_api("POST", f"/connections/{connection['id']}/verify", claims=ana)
    register(azure, certificate)
    after = call_api("POST", f"/connections/{connection['id']}/verify", claims=ana)
    listed = call_api("GET", f"/connections/{connection['id']}/assets", claims=ana,
                      query="type=Microsoft.Compute/virtualMachines")  # fmt: skip

    loaded = x509.load_pem_x509_certificate(certificate["pem"].encode())
    assert connection["status"] == "unverified"  # nothing could accept it before the customer adds it
    assert certificate["thumbprint"] == loaded.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Azure's id
    assert certificate["thumbprint_sha256"] == loaded.fingerprint(hashes.SHA256()).hex().upper()
    pem_file = f"cloudivize-{certificate['thumbprint'][:8].lower()}.pem"
    assert certificate["command"] == f"az ad app credential reset --id {APPLICATION_ID} --cert @{pem_file} --append"
    assert connection["azure"]["secret_expires_at"][:10] == loaded.not_valid_after_utc.date().isoformat()
    assert "PRIVATE KEY" not in created.text
    assert before.json()["ok"] is False and "AADSTS700027" in checks(before)["credential_accepted"]["detail"]
    assert after.json()["ok"] is True, after.text
    assert "with the certificate Cloudivize issued" in checks(after)["credential_accepted"]["detail"]
    assert checks(after)["certificate_expiry"]["detail"].startswith("The certificate Cloudivize issued is valid until")
    assert [a["name"] for a in listed.json()["items"]] == ["web-1", "web-2"]
    assert "PRIVATE KEY" not in debug_logs()


def test_rotating_a_certificate_keeps_the_connection_working_until_the_new_one_is_added(azure, ana, monkeypatch):
    connection = call_api("POST", "/connections", claims=ana, body=body("certificate")).json()
    first = connection["azure"]["certificate"]
    register(azure, first)

    rotated = call_api("PATCH", f"/connections/{connection['id']}", claims=ana,
                       body={"version": connection["version"], "rotate_certificate": True})  # fmt: skip
    assert rotated.status == 200, rotated.text
    second = rotated.json()["azure"]["certificate"]
    meanwhile = call_api("POST", f"/connections/{connection['id']}/verify", claims=ana)
    register(azure, second)
    plug_transport_as_configured(monkeypatch, azure)  # a new container: it tries the newest certificate first
    afterwards = call_api("POST", f"/connections/{connection['id']}/verify", claims=ana)

    assert second["thumbprint"] != first["thumbprint"]
    assert rotated.json()["azure"]["previous_certificate_thumbprint"] == first["thumbprint"]
    assert rotated.json()["status"] == "unverified"  # its new certificate is not on the application yet
    assert meanwhile.json()["ok"] is True  # signed in with the previous one, which still works
    assert f"previous certificate ({first['thumbprint']})" in checks(meanwhile)["credential_accepted"]["detail"]
    assert f"({second['thumbprint']})" in checks(afterwards)["credential_accepted"]["detail"]
    assert "previous" not in checks(afterwards)["credential_accepted"]["detail"]


def test_a_rotation_is_not_verified_live_so_an_expired_certificate_can_be_replaced(azure, ana):
    connection = call_api("POST", "/connections", claims=ana, body=body("certificate")).json()  # never added

    rotated = call_api("PATCH", f"/connections/{connection['id']}", claims=ana,
                       body={"version": 1, "rotate_certificate": True, "verify": True})  # fmt: skip

    assert rotated.status == 200, rotated.text
    assert rotated.json()["status"] == "unverified"
    assert rotated.json()["azure"]["certificate"]["thumbprint"] != connection["azure"]["certificate"]["thumbprint"]


def test_kind_specific_patch_fields_are_refused_elsewhere(azure, ana):
    trust_cloudivize(azure, ana)
    federated = call_api("POST", "/connections", claims=ana, body=body("federated")).json()

    secret = call_api("PATCH", f"/connections/{federated['id']}", claims=ana,
                      body={"version": 1, "application_secret": SECRET})  # fmt: skip
    rotate = call_api("PATCH", f"/connections/{federated['id']}", claims=ana,
                      body={"version": 1, "rotate_certificate": True})  # fmt: skip

    assert (secret.status, secret.json()["errors"][0]["field"]) == (422, "application_secret")
    assert (rotate.status, rotate.json()["errors"][0]["field"]) == (422, "rotate_certificate")


def test_a_federated_and_a_secret_connection_of_one_application_can_live_side_by_side(azure, ana):
    """How a customer moves off a secret: add the federated connection, verify it, delete the secret one."""
    trust_cloudivize(azure, ana)
    with_secret = call_api("POST", "/connections", claims=ana, body=body("secret", application_secret=SECRET))
    federated = call_api("POST", "/connections", claims=ana, body=body("federated"))
    again = call_api("POST", "/connections", claims=ana, body=body("federated"))

    assert (with_secret.status, federated.status, again.status) == (201, 201, 409)
