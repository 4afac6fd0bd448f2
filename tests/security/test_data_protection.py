"""docs/architecture.md made provable: only connection information, metadata and user configuration is stored, every
sensitive field is sealed and bound to its record, and no secret reaches a response, a log or an error."""

import boto3
import pytest

from tests.conftest import AUDIT_TABLE_NAME
from tests.utils import KmsCalls, call_api, claims_for

ROLE_ARN = "arn:aws:iam::210987654321:role/CloudivizeReadOnly"
DISCOVERY_ROLE_ARN = "arn:aws:iam::310987654321:role/CloudivizeOrganizationDiscovery"
DIRECTORY_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
APPLICATION_ID = "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809"
SUBSCRIPTION_ID = "2c3d4e5f-6071-4829-a3b4-c5d6e7f8091a"
AZURE_SECRET = "Q7x~Zk2-very-secret-application-secret"
ROTATED_SECRET = "R8y~Wm3-the-rotated-application-secret"
STALE_SECRET = "S9z~Xn4-a-secret-sent-with-a-stale-version"

# Every attribute any record may carry. A new attribute must be added here on purpose, after asking:
# is it connection information, metadata or user configuration, and is it sensitive (then: sealed)?
ALLOWED_ATTRIBUTES = {
    # Connection information: the organization, its External ID (sealed), its name and how many owners it has.
    "tenant": {"pk", "sk", "kind", "tenant_id", "owner_user_id", "external_id_sealed", "name", "owners",
               "created_at", "updated_at", "version"},
    # Metadata: who belongs to which organization with which role (twice: from the organization and the user).
    "member": {"pk", "sk", "kind", "user_id", "email", "role", "joined_at"},
    "membership": {"pk", "sk", "kind", "tenant_id", "role", "joined_at"},
    # Metadata: a pending invitation (whom, to which organization, with which role, by whom, until when; TTL
    # `expires`), three times: by its id, in the organization's list, among those addressed to the email.
    **{kind: {"pk", "sk", "kind", "invitation_id", "tenant_id", "email", "role", "invited_by", "created_at",
              "expires_at", "expires"} for kind in ("invitation", "organization_invitation", "email_invitation")},
    # User configuration: the organization a user's requests act in by default.
    "profile": {"pk", "sk", "kind", "default_organization_id"},
    # An AWS organization's connection adds its scope and its last sync (when, counts, member connection ids) and
    # the sync's lease; a member, its organization connection, its account's state and the names of failed checks.
    "connection": {"pk", "sk", "kind", "connection_id", "provider", "name", "status", "regions", "created_at",
                   "updated_at", "created_by", "version", "last_verified_at", "descriptors_sealed",
                   "credentials_sealed", "secret_expires_at", "scope", "last_synced_at", "last_sync", "sync_lease",
                   "organization_connection_id", "account_state", "failed_checks"},
    # Metadata: the organization connections the schedule syncs (the key names the organization and connection).
    "scheduled_sync": {"pk", "sk", "kind"},
    "user_settings": {"pk", "sk", "kind", "settings_json", "updated_at"},
}  # fmt: skip
# The audit table's only record. Metadata: who (user id, email, sign-in mode) asked what (action) of which ids
# (target: path ids, a created id, the asset ids and action sent), when, with which outcome; nothing of a body else.
AUDIT_ALLOWED_ATTRIBUTES = {
    "audit_event": {"pk", "sk", "kind", "time", "organization_id", "actor_user_id", "actor_email", "sign_in_mode",
                    "action", "target", "outcome", "status", "request_id", "expires_at"},
}  # fmt: skip
SEALED_ATTRIBUTES = {"external_id_sealed", "descriptors_sealed", "credentials_sealed"}


def certificate_keys(cloud, tenant_id: str, connection_id: str) -> list[str]:
    """The two private keys Cloudivize issued (the current and the previous certificate's), as the store opens
    them: a line of each from its private half (a PEM's lines are what would show in a log or a JSON answer; its
    first lines hold the modulus, which the certificate shows too)."""
    from cloudivize.crypto import FieldSealer
    from cloudivize.repository import Table
    from cloudivize.store.connections import ConnectionStore

    opened = ConnectionStore(Table(cloud.table_name), FieldSealer(cloud.field_key_arn), tenant_id).credentials(
        connection_id
    )
    keys = [opened["certificate_key"], opened["previous_certificate_key"]]
    assert all("PRIVATE KEY" in key for key in keys) and keys[0] != keys[1]
    return [key.splitlines()[-3] for key in keys]


@pytest.fixture
def scenario(cloud, debug_logs):
    """A full run through every route that stores something, for two tenants, logging at DEBUG."""
    ana, bo = cloud.confirm_user("ana@example.com"), cloud.confirm_user("bo@example.com")
    responses = []

    def api(*args, **kwargs):
        responses.append(call_api(*args, **kwargs))
        return responses[-1]

    aws = api(
        "POST",
        "/connections",
        claims=ana,
        body={"provider": "aws", "name": "prod", "role_arn": ROLE_ARN, "regions": ["eu-west-1"], "verify": False},
    ).json()
    azure_body = {
        "provider": "azure",
        "name": "subs",
        "directory_id": DIRECTORY_ID,
        "application_id": APPLICATION_ID,
        "application_secret": AZURE_SECRET,
        "subscription_ids": [SUBSCRIPTION_ID],
        "verify": False,
    }
    azure = api("POST", "/connections", claims=ana, headers={"Idempotency-Key": "k-1"}, body=azure_body).json()
    api("POST", "/connections", claims=ana, headers={"Idempotency-Key": "k-1"}, body=azure_body)  # a retry
    api(
        "POST",
        "/connections",
        claims=ana,
        body={
            "provider": "azure",
            "name": "bad",
            "directory_id": "nope",
            "application_id": APPLICATION_ID,
            "application_secret": AZURE_SECRET,
        },
    )
    # An AWS organization's connection (its members: tests/unit/test_organization_connections.py).
    api("POST", "/connections", claims=ana, body={"provider": "aws", "scope": "organization", "name": "org",
                                                  "role_arn": DISCOVERY_ROLE_ARN, "verify": False})  # fmt: skip
    api("GET", "/connections", claims=ana)
    api("GET", f"/connections/{azure['id']}", claims=ana)
    api("GET", f"/connections/{azure['id']}", claims=bo)
    api(
        "PATCH",
        f"/connections/{azure['id']}",
        claims=ana,
        body={"version": 1, "application_secret": ROTATED_SECRET, "verify": False},
    )
    stale = api(
        "PATCH", f"/connections/{azure['id']}", claims=ana, body={"version": 1, "application_secret": STALE_SECRET}
    )
    assert stale.status == 412  # a stale rotation: its secret must not appear in the answer either
    # A certificate connection: Cloudivize issues its key pair, then a rotation issues another.
    certificate = api(
        "POST", "/connections", claims=ana,
        body={"provider": "azure", "name": "cert", "credential_type": "certificate", "directory_id": DIRECTORY_ID,
              "application_id": APPLICATION_ID, "subscription_ids": [SUBSCRIPTION_ID]},
    ).json()  # fmt: skip
    api("PATCH", f"/connections/{certificate['id']}", claims=ana,
        body={"version": 1, "rotate_certificate": True, "verify": False})  # fmt: skip
    api("PATCH", f"/connections/{aws['id']}", claims=ana, body={"version": 1, "name": "production"})
    api("POST", f"/connections/{aws['id']}/verify", claims=ana)
    api("PUT", "/settings", claims=ana, body={"theme": "dark", "default_regions": ["eu-west-1"]})
    api("GET", "/settings", claims=ana)
    api("GET", "/me", claims=bo)
    # Invitations: one accepted (its items go), one left pending (its items stay).
    joining = api("POST", "/invitations", claims=ana, body={"email": "bo@example.com", "role": "operator"}).json()
    api("POST", "/invitations", claims=ana, body={"email": "cy@example.com", "role": "viewer"})
    api("GET", "/me/invitations", claims=bo)
    assert api("POST", f"/invitations/{joining['invitation_id']}/accept", claims=bo).status == 200
    api("GET", "/invitations", claims=ana)

    external_ids = [cloud.external_id(c["custom:tenant_id"]) for c in (ana, bo)]
    private_keys = certificate_keys(cloud, ana["custom:tenant_id"], certificate["id"])
    secrets = [AZURE_SECRET, ROTATED_SECRET, STALE_SECRET, *external_ids, *private_keys]
    return {"responses": responses, "logs": debug_logs, "secrets": secrets, "cloud": cloud}  # fmt: skip


def test_no_secret_appears_in_any_response(scenario):
    for response in scenario["responses"]:
        for secret in scenario["secrets"]:
            assert secret not in response.text
            assert all(secret not in value for value in response.headers.values())


def test_no_secret_appears_in_any_log_line_even_at_debug(scenario):
    logged = scenario["logs"]()

    assert "Connection created" in logged  # the log was captured
    for secret in scenario["secrets"]:
        assert secret not in logged


def test_only_connection_information_metadata_and_user_configuration_is_stored(scenario):
    items = scenario["cloud"].items()

    assert {item["kind"] for item in items} == set(ALLOWED_ATTRIBUTES)
    for item in items:
        assert set(item) <= ALLOWED_ATTRIBUTES[item["kind"]], item["sk"]


def test_the_audit_trail_holds_only_its_metadata_and_no_secret_or_sealed_value(scenario):
    events = boto3.resource("dynamodb").Table(AUDIT_TABLE_NAME).scan()["Items"]

    # 6 creates (a retry, an invalid one, a certificate, an organization), 4 changes (a stale one, a certificate
    # rotation), 1 verify; 2 invitations and 1 accepted
    assert len(events) == 14
    assert {item["kind"] for item in events} == set(AUDIT_ALLOWED_ATTRIBUTES)
    for item in events:
        assert set(item) <= AUDIT_ALLOWED_ATTRIBUTES[item["kind"]], item["sk"]
        for value in [*scenario["secrets"], ROLE_ARN, DIRECTORY_ID, APPLICATION_ID, SUBSCRIPTION_ID]:
            assert value not in str(item), (item["action"], value)


def test_no_sealed_value_appears_in_any_unencrypted_attribute(scenario):
    sealed_plaintexts = [*scenario["secrets"], ROLE_ARN, DIRECTORY_ID, APPLICATION_ID, SUBSCRIPTION_ID]
    for item in scenario["cloud"].items():
        clear = " ".join(str(value) for name, value in item.items() if name not in SEALED_ATTRIBUTES).lower()
        for value in sealed_plaintexts:
            assert value.lower() not in clear, (item["sk"], value)


def test_idempotency_records_hold_no_secret(scenario):
    records = boto3.resource("dynamodb").Table("cloudivize-unit-idempotency").scan()["Items"]

    assert records, "the idempotent create was recorded"
    for record in records:
        for value in [*scenario["secrets"], ROLE_ARN, DIRECTORY_ID, APPLICATION_ID]:
            assert value not in str(record)


def test_ciphertext_copied_to_another_record_does_not_open(cloud, debug_logs):
    claims = claims_for("tenant-1")
    body = {"provider": "aws", "name": "a", "verify": False}
    first = call_api("POST", "/connections", claims=claims, body=body | {"role_arn": ROLE_ARN}).json()
    second = call_api("POST", "/connections", claims=claims, body=body | {
        "role_arn": "arn:aws:iam::210987654321:role/Other"}).json()  # fmt: skip
    table = cloud.table
    stolen = table.get_item(Key={"pk": "TENANT#tenant-1", "sk": f"CONN#{first['id']}"})["Item"]["descriptors_sealed"]
    table.update_item(
        Key={"pk": "TENANT#tenant-1", "sk": f"CONN#{second['id']}"},
        UpdateExpression="SET descriptors_sealed = :stolen",
        ExpressionAttributeValues={":stolen": stolen},
    )

    response = call_api("GET", f"/connections/{second['id']}", claims=claims)

    assert response.status == 500
    assert ROLE_ARN not in response.text
    assert stolen not in response.text
    logged = debug_logs()
    [refusal] = [line for line in logged.splitlines() if line.startswith("{") and "Sealed field did not open" in line]
    assert "connection_descriptors" in refusal  # the operator learns which field failed...
    assert stolen not in refusal  # ...and nothing of its content
    assert ROLE_ARN not in logged


def test_ciphertext_copied_to_another_tenant_does_not_open(cloud):
    owner, thief = claims_for("tenant-1"), claims_for("tenant-2", "user-2")
    body = {"provider": "aws", "name": "a", "role_arn": ROLE_ARN, "verify": False}
    victim = call_api("POST", "/connections", claims=owner, body=body).json()
    item = cloud.table.get_item(Key={"pk": "TENANT#tenant-1", "sk": f"CONN#{victim['id']}"})["Item"]
    cloud.table.put_item(Item=item | {"pk": "TENANT#tenant-2"})  # the whole record, copied across tenants

    response = call_api("GET", f"/connections/{victim['id']}", claims=thief)

    assert response.status == 500
    assert ROLE_ARN not in response.text


def test_reading_a_record_again_and_again_costs_almost_no_kms_calls(cloud):
    from cloudivize import composition, crypto

    claims = claims_for("tenant-1")
    body = {"provider": "aws", "name": "a", "role_arn": ROLE_ARN, "verify": False}
    connection_id = call_api("POST", "/connections", claims=claims, body=body).json()["id"]
    crypto.sealer_for.cache_clear()  # a new container: nothing cached yet
    composition.backend.cache_clear()
    with KmsCalls() as kms_calls:
        for _ in range(25):
            assert call_api("GET", f"/connections/{connection_id}", claims=claims).status == 200

    # One Decrypt; after that the record's data key is cached (for a bounded time and number of uses).
    assert kms_calls == ["Decrypt"], kms_calls
