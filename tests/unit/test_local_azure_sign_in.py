"""The demo Azure's token endpoint against the real azure-identity over real HTTPS (its CA trusted through
``connection_verify``): secrets, certificates (registered directly or through Graph) and federated assertions
signed by an issuer served here on 127.0.0.1."""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from infrastructure.local.azure import GRAPH_SCOPE, AzureServer, FakeAzure

DIRECTORY = "7c0e6f1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
APPLICATION = "8d1f7a2b-3c4e-4f60-9b1c-2d3e4f5a6b7c"
SECRET = "Xyz8Q~local-azure-test-secret-0123456789"
ROLE = "arn:aws:iam::123456789012:role/cloudivize-CustomerAccess"
AUDIENCE = "api://cloudivize/organizations/test-audience"


def key_and_certificate(name: str = "customer") -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def pem_of(key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + certificate.public_bytes(serialization.Encoding.PEM)


def key_credential(certificate: x509.Certificate, **fields: str) -> dict[str, str]:
    """A keyCredential as a Graph request gives it: the certificate's DER in base64."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(der).decode()} | fields


@pytest.fixture
def fake() -> FakeAzure:
    fake = FakeAzure()
    fake.add_directory(DIRECTORY)
    fake.add_application(DIRECTORY, APPLICATION, "Customer app").add_secret(SECRET)
    return fake


@pytest.fixture
def server(fake, tmp_path):
    with AzureServer(fake, tmp_path) as running:
        yield running


def options(server: AzureServer) -> dict[str, Any]:
    return {"authority": server.url, "disable_instance_discovery": True, "connection_verify": str(server.ca_file)}


def arm_scope(server: AzureServer) -> str:
    return f"{server.url}/.default"


class Issuer:
    """An OpenID issuer on 127.0.0.1 (discovery document and JWKS), as the local AWS emulator serves its own."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "issuer-key-1"
        self.fetches: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                issuer.fetches.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks.json"}
                else:
                    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer.key.public_key()))
                    body = {"keys": [public | {"kid": issuer.kid, "use": "sig", "alg": "RS256"}]}
                content = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def token(self, *, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "sub": ROLE, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
                "jti": str(uuid.uuid4())} | claims  # fmt: skip
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def issuer():
    running = Issuer()
    running._thread.start()
    yield running
    running._server.shutdown()
    running._server.server_close()


def federated(server: AzureServer, assertion: str) -> ClientAssertionCredential:
    return ClientAssertionCredential(DIRECTORY, APPLICATION, lambda: assertion, **options(server))


def graph(server: AzureServer, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{server.url}/v1.0{path}", json=body, timeout=10, verify=str(server.ca_file),
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def graph_token(server: AzureServer) -> str:
    return ClientSecretCredential(DIRECTORY, APPLICATION, SECRET, **options(server)).get_token(GRAPH_SCOPE).token


# --- secrets -------------------------------------------------------------------------------------------------
def test_a_registered_secret_gets_a_token_and_the_secret_is_not_kept(fake, server):
    token = ClientSecretCredential(DIRECTORY, APPLICATION, SECRET, **options(server)).get_token(arm_scope(server))

    assert fake.tokens[token.token].scope == arm_scope(server)
    assert [(r["client_id"], r["scope"]) for r in fake.token_requests] == [(APPLICATION, arm_scope(server))]
    assert SECRET not in repr(fake.token_requests) and SECRET not in repr(fake.applications)


def test_a_wrong_secret_is_refused_with_7000215(server):
    credential = ClientSecretCredential(DIRECTORY, APPLICATION, "Wro8Q~not-the-secret", **options(server))

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215: Invalid client secret provided"):
        credential.get_token(arm_scope(server))


def test_an_unknown_application_is_700016_and_an_unknown_directory_is_90002(server):
    unknown = str(uuid.uuid4())
    with pytest.raises(ClientAuthenticationError, match=f"AADSTS700016: Application with identifier '{unknown}'"):
        ClientSecretCredential(DIRECTORY, unknown, SECRET, **options(server)).get_token(arm_scope(server))
    # An unknown directory has no discovery document (90002): MSAL stops there, before sending the secret.
    with pytest.raises(ClientAuthenticationError, match="Unable to get authority configuration"):
        ClientSecretCredential(unknown, APPLICATION, SECRET, **options(server)).get_token(arm_scope(server))
    discovery = requests.get(f"{server.url}/{unknown}/v2.0/.well-known/openid-configuration", timeout=10,
                             verify=str(server.ca_file))  # fmt: skip
    assert discovery.status_code == 400 and discovery.json()["error_codes"] == [90002]


# --- certificates --------------------------------------------------------------------------------------------
def test_a_registered_certificate_gets_a_token_and_the_assertion_is_not_kept(fake, server):
    key, certificate = key_and_certificate()
    fake.applications[APPLICATION].add_certificate(certificate)
    credential = CertificateCredential(DIRECTORY, APPLICATION, certificate_data=pem_of(key, certificate),
                                       **options(server))  # fmt: skip

    token = credential.get_token(arm_scope(server))

    assert fake.tokens[token.token].application_id == APPLICATION
    [request] = fake.token_requests
    assert request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_assertion" not in request and not any(value.count(".") == 2 for value in request.values())


def test_an_unregistered_certificate_is_refused_with_700027(server):
    key, certificate = key_and_certificate()
    credential = CertificateCredential(DIRECTORY, APPLICATION, certificate_data=pem_of(key, certificate),
                                       **options(server))  # fmt: skip

    with pytest.raises(ClientAuthenticationError, match="AADSTS700027: The certificate with identifier used to sign"):
        credential.get_token(arm_scope(server))


def test_a_registered_certificates_thumbprint_signed_by_another_key_is_refused_with_700027(fake, server):
    _, registered = key_and_certificate()
    other_key, _ = key_and_certificate()
    fake.applications[APPLICATION].add_certificate(registered)
    credential = CertificateCredential(DIRECTORY, APPLICATION, certificate_data=pem_of(other_key, registered),
                                       **options(server))  # fmt: skip

    with pytest.raises(ClientAuthenticationError, match="AADSTS700027: Client assertion contains an invalid signature"):
        credential.get_token(arm_scope(server))


def certificate_assertion(server: AzureServer, key: rsa.RSAPrivateKey, certificate: x509.Certificate, **claims):
    now = int(time.time())
    body = {"iss": APPLICATION, "sub": APPLICATION, "aud": f"{server.url}/{DIRECTORY}/oauth2/v2.0/token",
            "nbf": now, "exp": now + 600, "jti": str(uuid.uuid4())} | claims  # fmt: skip
    thumbprint = jwt.utils.base64url_encode(certificate.fingerprint(hashes.SHA256())).decode()
    return jwt.encode(body, key, algorithm="PS256", headers={"x5t#S256": thumbprint})


def test_a_ps256_assertion_naming_the_certificate_by_its_sha256_thumbprint_is_accepted(fake, server):
    key, certificate = key_and_certificate()
    fake.applications[APPLICATION].add_certificate(certificate)

    token = federated(server, certificate_assertion(server, key, certificate)).get_token(arm_scope(server))

    assert fake.tokens[token.token].application_id == APPLICATION


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": int(time.time()) - 3600, "nbf": int(time.time()) - 7200}, "AADSTS700024"),
        ({"nbf": int(time.time()) + 3600, "exp": int(time.time()) + 4000}, "AADSTS700024"),
        ({"aud": "https://login.microsoftonline.com/elsewhere/oauth2/v2.0/token"}, "AADSTS700027"),
    ],
)
def test_a_certificate_assertion_out_of_its_time_range_or_for_another_endpoint_is_refused(fake, server, claims, code):
    key, certificate = key_and_certificate()
    fake.applications[APPLICATION].add_certificate(certificate)

    with pytest.raises(ClientAuthenticationError, match=code):
        federated(server, certificate_assertion(server, key, certificate, **claims)).get_token(arm_scope(server))


def test_a_malformed_assertion_is_50027(server):
    with pytest.raises(ClientAuthenticationError, match="AADSTS50027: JWT token is invalid or malformed"):
        federated(server, "not-a-jwt").get_token(arm_scope(server))


# --- Graph ---------------------------------------------------------------------------------------------------
def test_a_certificate_registered_through_graph_is_then_accepted(fake, server):
    key, certificate = key_and_certificate()
    credential = CertificateCredential(DIRECTORY, APPLICATION, certificate_data=pem_of(key, certificate),
                                       **options(server))  # fmt: skip
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        credential.get_token(arm_scope(server))
    token = graph_token(server)
    object_id = fake.applications[APPLICATION].object_id

    patched = graph(server, "PATCH", f"/applications(appId='{APPLICATION}')", token,
                    {"keyCredentials": [key_credential(certificate, displayName="CN=Cloudivize")]})  # fmt: skip
    read = graph(server, "GET", f"/applications/{object_id}", token)

    assert (patched.status_code, patched.content) == (204, b"")
    assert read.status_code == 200
    body = read.json()
    assert (body["id"], body["appId"], body["displayName"]) == (object_id, APPLICATION, "Customer app")
    [registered] = body["keyCredentials"]
    assert registered["key"] is None and registered["displayName"] == "CN=Cloudivize"
    assert registered["customKeyIdentifier"] == certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    assert [p["hint"] for p in body["passwordCredentials"]] == [SECRET[:3]]
    assert "secretText" in body["passwordCredentials"][0] and body["passwordCredentials"][0]["secretText"] is None
    assert credential.get_token(arm_scope(server)).token in fake.tokens


def test_a_patch_replaces_the_key_credentials(fake, server):
    _, old = key_and_certificate("old")
    _, new = key_and_certificate("new")
    fake.applications[APPLICATION].add_certificate(old)

    patched = graph(server, "PATCH", f"/applications(appId='{APPLICATION}')", graph_token(server),
                    {"keyCredentials": [key_credential(new)]})  # fmt: skip

    assert patched.status_code == 204
    assert [k.certificate for k in fake.applications[APPLICATION].keys] == [new]


def add_key_proof(key: rsa.RSAPrivateKey, object_id: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"aud": "00000002-0000-0000-c000-000000000000", "iss": object_id, "nbf": now, "exp": now + 600} | claims
    return jwt.encode(body, key, algorithm="RS256")


def test_add_key_with_a_proof_signed_by_a_registered_certificate_adds_a_usable_certificate(fake, server):
    current_key, current = key_and_certificate("current")
    next_key, upcoming = key_and_certificate("next")
    application = fake.applications[APPLICATION]
    application.add_certificate(current)

    added = graph(server, "POST", f"/applications/{application.object_id}/addKey", graph_token(server),
                  {"keyCredential": key_credential(upcoming, displayName="next"), "passwordCredential": None,
                   "proof": add_key_proof(current_key, application.object_id)})  # fmt: skip

    assert added.status_code == 200, added.text
    assert added.json()["displayName"] == "next" and added.json()["type"] == "AsymmetricX509Cert"
    assert [k.certificate for k in application.keys] == [current, upcoming]
    credential = CertificateCredential(DIRECTORY, APPLICATION, certificate_data=pem_of(next_key, upcoming),
                                       **options(server))  # fmt: skip
    assert credential.get_token(arm_scope(server)).token in fake.tokens


@pytest.mark.parametrize(
    "proof_of",
    [
        lambda registered, stranger, oid: add_key_proof(stranger, oid),  # not signed by a registered certificate
        lambda registered, stranger, oid: add_key_proof(registered, str(uuid.uuid4())),  # iss: another object
        lambda registered, stranger, oid: add_key_proof(registered, oid, aud="https://graph.microsoft.com"),
        lambda registered, stranger, oid: add_key_proof(registered, oid, exp=int(time.time()) + 3600),  # > 10 min
    ],
    ids=["stranger-key", "wrong-issuer", "wrong-audience", "too-long"],
)
def test_add_key_with_an_invalid_proof_is_refused_and_adds_nothing(fake, server, proof_of):
    registered_key, registered = key_and_certificate()
    stranger_key, _ = key_and_certificate("stranger")
    _, upcoming = key_and_certificate("next")
    application = fake.applications[APPLICATION]
    application.add_certificate(registered)

    refused = graph(server, "POST", f"/applications/{application.object_id}/addKey", graph_token(server),
                    {"keyCredential": key_credential(upcoming),
                     "proof": proof_of(registered_key, stranger_key, application.object_id)})  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "Request_BadRequest"
    assert [k.certificate for k in application.keys] == [registered]


def test_graph_takes_only_graph_tokens_of_the_application_itself_and_arm_only_arm_tokens(fake, server):
    arm_token = ClientSecretCredential(DIRECTORY, APPLICATION, SECRET, **options(server)).get_token(arm_scope(server))
    other = fake.add_application(DIRECTORY, str(uuid.uuid4()), "Someone else's")
    other_secret = other.add_secret()
    others_token = ClientSecretCredential(DIRECTORY, other.app_id, other_secret, **options(server)).get_token(
        GRAPH_SCOPE
    )
    path = f"/applications(appId='{APPLICATION}')"

    with_arm_token = graph(server, "GET", path, arm_token.token)
    with_others_token = graph(server, "GET", path, others_token.token)
    arm_with_graph_token = requests.get(f"{server.url}/subscriptions?api-version=2022-12-01", timeout=10,
                                        verify=str(server.ca_file),
                                        headers={"Authorization": f"Bearer {graph_token(server)}"})  # fmt: skip

    assert (with_arm_token.status_code, with_arm_token.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
    assert (with_others_token.status_code, with_others_token.json()["error"]["code"]) == (
        403,
        "Authorization_RequestDenied",
    )
    assert (arm_with_graph_token.status_code, arm_with_graph_token.json()["error"]["code"]) == (
        401,
        "InvalidAuthenticationToken",
    )


# --- federated credentials -----------------------------------------------------------------------------------
def test_a_federated_assertion_matching_a_credential_gets_a_token(fake, server, issuer):
    fake.add_federated_credential(APPLICATION, "cloudivize", issuer.url, ROLE, AUDIENCE)

    token = federated(server, issuer.token()).get_token(arm_scope(server))
    again = federated(server, issuer.token()).get_token(arm_scope(server))

    assert {fake.tokens[token.token].application_id, fake.tokens[again.token].application_id} == {APPLICATION}
    assert issuer.fetches == ["/.well-known/openid-configuration", "/jwks.json"]  # the issuer's keys are cached
    assert all("client_assertion" not in request for request in fake.token_requests)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "api://cloudivize/organizations/another"}, "AADSTS700212: No matching federated identity record "
         "found for presented assertion audience 'api://cloudivize/organizations/another'. Please check your "
         "federated identity credential Subject, Audience and Issuer against the presented assertion. "
         "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"),
        ({"sub": "arn:aws:iam::123456789012:role/someone-else"}, "AADSTS700213: No matching federated identity "
         "record found for presented assertion subject 'arn:aws:iam::123456789012:role/someone-else'"),
        ({"iss": "https://elsewhere.example"}, "AADSTS700211: No matching federated identity record found for "
         "presented assertion issuer 'https://elsewhere.example'"),
        ({"exp": int(time.time()) - 3600, "nbf": int(time.time()) - 4000}, "AADSTS700024: Client assertion is not "
         "within its valid time range"),
    ],
    ids=["audience", "subject", "issuer", "expired"],
)  # fmt: skip
def test_a_federated_assertion_that_does_not_match_is_refused_with_entras_code(fake, server, issuer, claims, message):
    fake.add_federated_credential(APPLICATION, "cloudivize", issuer.url, ROLE, AUDIENCE)

    with pytest.raises(ClientAuthenticationError) as refused:
        federated(server, issuer.token(**claims)).get_token(arm_scope(server))

    assert message in refused.value.message


def test_a_federated_assertion_signed_by_another_key_is_refused(fake, server, issuer):
    fake.add_federated_credential(APPLICATION, "cloudivize", issuer.url, ROLE, AUDIENCE)
    forged = issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))

    with pytest.raises(ClientAuthenticationError, match="AADSTS700027: Client assertion contains an invalid signature"):
        federated(server, forged).get_token(arm_scope(server))

    assert not fake.tokens


def test_an_issuer_over_plain_http_off_loopback_is_never_fetched(fake, server, issuer):
    fake.add_federated_credential(APPLICATION, "cloudivize", "http://issuer.example", ROLE, AUDIENCE)

    with pytest.raises(ClientAuthenticationError, match="AADSTS50166"):
        federated(server, issuer.token(iss="http://issuer.example")).get_token(arm_scope(server))
