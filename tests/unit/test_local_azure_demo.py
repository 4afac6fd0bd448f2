"""The local stack's demo Azure: its content, its HTTPS (a CA made at start), and the federated credential the
stack adds once it knows the demo organization's audience, exercised with the real azure-identity."""

from __future__ import annotations

import datetime
import re
import socket
import ssl

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ClientSecretCredential
from cryptography import x509

from infrastructure.local.azure import AzureServer, FakeAzure, FederatedCredential, demo_azure
from tests.unit.test_local_azure_sign_in import AUDIENCE, ROLE, issuer  # noqa: F401 - issuer is a fixture

COMPUTE_API = "2024-07-01"


@pytest.fixture
def demo(tmp_path):
    fake, info = demo_azure()  # served on a free port here: the server's URL replaces the demo's
    with AzureServer(fake, tmp_path) as server:
        yield fake, info, server


def sign_in_options(server: AzureServer) -> dict:
    return {"authority": server.url, "disable_instance_discovery": True, "connection_verify": str(server.ca_file)}


def test_the_demo_holds_one_directory_one_application_and_the_demo_subscription():
    fake, info = demo_azure(url="https://localhost:8334")

    application = fake.applications[info.application_id]
    [subscription] = fake.subscriptions.values()
    assert fake.directories == {info.directory_id} and application.directory_id == info.directory_id
    assert application.object_id == info.application_object_id != info.application_id
    assert re.fullmatch(r"[A-Za-z0-9]{3}8Q~[A-Za-z0-9_.~-]{34}", info.application_secret)
    assert application.secret_matching(info.application_secret) is not None
    assert info.application_secret not in repr(application)  # only its digest and hint are kept
    assert len(application.keys) == 1 and application.federated == []
    assert (subscription.subscription_id, subscription.display_name) == (info.subscription_id, "Demo")
    assert [(vm.name, vm.power) for vm in subscription.vms] == [
        ("web-frontend", "running"),
        ("batch-worker", "deallocated"),
        ("web-staging", "stopped"),
    ]
    assert [r.type for r in subscription.resources] == ["Microsoft.Storage/storageAccounts"]
    assert [p["actions"] for p in subscription.permissions] == [
        ["*/read"],
        ["Microsoft.Compute/virtualMachines/*", "Microsoft.Resources/*/read"],
        ["Microsoft.Resources/tags/*", "Microsoft.Resources/*/read"],
    ]
    assert (info.authority_url, info.resource_manager_url, info.graph_url) == ("https://localhost:8334",) * 3


def test_two_starts_have_the_same_identifiers_and_different_secrets():
    _, first = demo_azure()
    _, second = demo_azure()

    assert (first.directory_id, first.application_id, first.subscription_id) == (
        second.directory_id,
        second.application_id,
        second.subscription_id,
    )
    assert first.application_secret != second.application_secret


def test_the_demo_secret_signs_in_and_lists_the_vms_power_states_over_https(demo):
    fake, info, server = demo
    credential = ClientSecretCredential(
        info.directory_id, info.application_id, info.application_secret, **sign_in_options(server)
    )
    token = credential.get_token(f"{server.url}/.default").token

    listed = requests.get(
        f"{server.url}/subscriptions/{info.subscription_id}/providers/Microsoft.Compute/virtualMachines",
        params={"api-version": COMPUTE_API, "statusOnly": "true"},
        headers={"Authorization": f"Bearer {token}"},
        verify=str(server.ca_file),
        timeout=10,
    )

    assert listed.status_code == 200, listed.text
    assert [(vm["name"], vm["properties"]["instanceView"]["statuses"][1]["code"]) for vm in listed.json()["value"]] == [
        ("web-frontend", "PowerState/running"),
        ("batch-worker", "PowerState/deallocated"),
        ("web-staging", "PowerState/stopped"),
    ]


def test_a_federated_credential_added_later_lets_the_issuers_tokens_sign_in(demo, issuer):  # noqa: F811
    fake, info, server = demo
    fake.add_federated_credential(info.application_id, "cloudivize-demo", issuer.url, ROLE, AUDIENCE)
    credential = ClientAssertionCredential(
        info.directory_id, info.application_id, lambda: issuer.token(), **sign_in_options(server)
    )

    token = credential.get_token(f"{server.url}/.default").token

    assert fake.tokens[token].application_id == info.application_id


def test_the_server_certificate_is_signed_by_the_ca_written_for_localhost_and_127_0_0_1(demo):
    _, _, server = demo
    ca = x509.load_pem_x509_certificate(server.ca_file.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    context = ssl.create_default_context(cafile=str(server.ca_file))

    for name in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                presented = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
        assert presented.issuer == ca.subject and presented != ca


def test_the_server_serves_at_its_own_url(tmp_path):
    fake = FakeAzure()

    with AzureServer(fake, tmp_path, port=0) as server:
        assert server.url == f"https://localhost:{server.port}" and server.port > 0
        assert fake.authority_url == fake.arm_url == server.url


@pytest.mark.parametrize(
    ("audiences", "problem"),
    [
        (["a", "b"], "exactly one audience"),
        (["x" * 601], "1 to 600 characters"),
        ([], "exactly one audience"),
    ],
)
def test_a_federated_credential_has_exactly_one_audience_of_at_most_600_characters(audiences, problem):
    with pytest.raises(ValueError, match=problem):
        FederatedCredential("cloudivize", "https://issuer.example", ROLE, audiences)


def test_an_application_has_at_most_20_federated_credentials_with_distinct_names():
    fake, info = demo_azure()
    for n in range(20):
        fake.add_federated_credential(info.application_id, f"credential-{n}", "https://issuer.example", f"s{n}", "a")

    with pytest.raises(ValueError, match="at most 20"):
        fake.add_federated_credential(info.application_id, "credential-20", "https://issuer.example", "s20", "a")
    with pytest.raises(ValueError, match="already exists"):
        fake.applications[info.application_id].federated.pop()
        fake.add_federated_credential(info.application_id, "credential-0", "https://issuer.example", "other", "a")


def test_a_secret_past_its_end_date_is_refused_as_expired_and_a_new_one_signs_in(demo):
    fake, info, server = demo
    application = fake.applications[info.application_id]
    application.passwords[0].end = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    scope = f"{server.url}/.default"

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000222"):
        ClientSecretCredential(info.directory_id, info.application_id, info.application_secret,
                               **sign_in_options(server)).get_token(scope)  # fmt: skip
    rotated = application.add_secret()
    credential = ClientSecretCredential(info.directory_id, info.application_id, rotated, **sign_in_options(server))

    assert credential.get_token(scope).token in fake.tokens
