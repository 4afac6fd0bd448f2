"""An Azure connection's secret through the API: what is accepted as one, what its hint shows, and what Cloudivize
knows of its expiry across rotations."""

from datetime import UTC, datetime, timedelta

import pytest

from cloudivize.models.connections import AZURE_SECRET_MAX_LENGTH, AZURE_SECRET_MIN_LENGTH, AZURE_SECRET_SHAPE
from tests.azure_fake import APPLICATION_ID, DIRECTORY_ID
from tests.utils import azure_connection_body, call_api, claims_for

ANA = claims_for("tenant-secrets", "user-ana")
SECRET = "Ab38Q~the-first-secret-0123456789-abcdef"  # 40 characters, as Entra issues them today
ROTATED = "Cd58Q~the-second-secret-0123456789-abcde"
SHAPE_ERROR = [{"field": "application_secret", "in": "body", "type": "value_error", "message": AZURE_SECRET_SHAPE}]


def azure_body(**overrides):
    return (
        azure_connection_body(
            name="Subscriptions", directory_id=DIRECTORY_ID, application_id=APPLICATION_ID, secret=SECRET
        )
        | overrides
    )


def create(**overrides):
    return call_api("POST", "/connections", claims=ANA, body=azure_body(**overrides))


def patch(connection_id, **body):
    return call_api("PATCH", f"/connections/{connection_id}", claims=ANA, body=body)


def stored(cloud, connection_id) -> dict:
    return {item["sk"]: item for item in cloud.items()}[f"CONN#{connection_id}"]


def days_from_now(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def expiry_of(response) -> str | None:
    return response.json()["azure"]["secret_expires_at"]


def same_instant(answered: str | None, sent: str) -> bool:
    return answered is not None and datetime.fromisoformat(answered) == datetime.fromisoformat(sent)


# --- what a secret is, and its hint ----------------------------------------------------------------------
def test_the_accepted_lengths_are_those_entra_generates():
    assert (AZURE_SECRET_MIN_LENGTH, AZURE_SECRET_MAX_LENGTH) == (16, 64)


@pytest.mark.parametrize("length", [AZURE_SECRET_MIN_LENGTH, AZURE_SECRET_MAX_LENGTH])
def test_a_secret_at_either_edge_is_stored_and_its_hint_is_three_of_its_characters(cloud, length):
    secret = "Kp7" + "x" * (length - 3)

    response = create(application_secret=secret)

    assert response.status == 201, response.text
    assert response.json()["azure"]["secret_hint"] == "Kp7"
    assert secret not in response.text


@pytest.mark.parametrize("length", [AZURE_SECRET_MIN_LENGTH - 1, AZURE_SECRET_MAX_LENGTH + 1, 2])
def test_a_secret_outside_the_lengths_is_422_saying_what_a_secret_looks_like(cloud, debug_logs, length):
    # Two characters that appear in no message nor in base64: the check below can only find the secret.
    secret = "Kp7" + "y" * (length - 3) if length > 3 else "^^"

    response = create(application_secret=secret)

    assert response.status == 422, response.text
    problem = response.json()
    assert problem["errors"] == SHAPE_ERROR
    assert problem["detail"] == "Fix these fields and retry: application_secret."
    assert secret not in response.text and secret not in debug_logs()
    assert cloud.items_beyond_sign_up() == []


def test_a_secret_with_a_space_is_422(cloud):
    response = create(application_secret="Kp78Q~pasted with a space-0123456789-abc")

    assert response.status == 422
    assert response.json()["errors"] == SHAPE_ERROR


def test_the_secrets_id_sent_as_the_secret_is_422_asking_for_its_value(cloud):
    secret_id = "3f2a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b"

    response = create(application_secret=secret_id)

    assert response.status == 422
    [error] = response.json()["errors"]
    assert error["field"] == "application_secret"
    assert error["message"] == (
        "is the secret's Secret ID (a GUID); send its Value, shown once when the secret is created"
    )
    assert secret_id not in response.text


def test_a_rotated_secret_is_held_to_the_same_lengths(cloud):
    created = create().json()
    before = stored(cloud, created["id"])

    short = patch(created["id"], version=1, application_secret="s" * (AZURE_SECRET_MIN_LENGTH - 1), verify=False)
    shortest = patch(created["id"], version=1, application_secret="Zz9" + "s" * 13, verify=False)

    assert short.status == 422 and short.json()["errors"] == SHAPE_ERROR
    assert shortest.status == 200, shortest.text
    assert shortest.json()["azure"]["secret_hint"] == "Zz9"
    assert stored(cloud, created["id"])["credentials_sealed"] != before["credentials_sealed"]


def test_rotating_reseals_the_secret_and_updates_the_hint(cloud):
    created = create().json()
    before = stored(cloud, created["id"])

    response = patch(created["id"], version=1, application_secret=ROTATED, verify=False)

    assert response.status == 200
    assert response.json()["azure"]["secret_hint"] == ROTATED[:3] == "Cd5"
    assert ROTATED not in response.text
    assert stored(cloud, created["id"])["credentials_sealed"] != before["credentials_sealed"]


# --- the expiry across rotations ---------------------------------------------------------------------------
@pytest.fixture
def dated(cloud):
    """A connection whose secret expires in 200 days."""
    expires = days_from_now(200)
    created = create(secret_expires_at=expires)
    assert created.status == 201 and same_instant(expiry_of(created), expires)
    return created.json()["id"], expires


def test_rotating_without_a_date_keeps_the_known_expiry(dated):
    connection_id, expires = dated

    rotated = patch(connection_id, version=1, application_secret=ROTATED, verify=False)

    assert rotated.status == 200
    assert same_instant(expiry_of(rotated), expires)
    assert same_instant(expiry_of(call_api("GET", f"/connections/{connection_id}", claims=ANA)), expires)


def test_rotating_with_a_date_stores_the_new_secrets_expiry(dated):
    connection_id, _ = dated
    later = days_from_now(400)

    rotated = patch(connection_id, version=1, application_secret=ROTATED, secret_expires_at=later, verify=False)

    assert rotated.status == 200
    assert same_instant(expiry_of(rotated), later)


def test_rotating_with_an_explicit_null_forgets_the_expiry(dated, cloud):
    connection_id, _ = dated

    rotated = patch(connection_id, version=1, application_secret=ROTATED, secret_expires_at=None, verify=False)

    assert rotated.status == 200
    assert expiry_of(rotated) is None
    assert stored(cloud, connection_id)["secret_expires_at"] is None


def test_a_null_date_alone_forgets_the_expiry_and_a_rename_keeps_it(dated):
    connection_id, expires = dated

    renamed = patch(connection_id, version=1, name="Renamed")
    forgotten = patch(connection_id, version=2, secret_expires_at=None)

    assert same_instant(expiry_of(renamed), expires)
    assert forgotten.status == 200 and expiry_of(forgotten) is None


def test_rotating_after_the_known_date_has_passed_forgets_it(cloud):
    created = create(secret_expires_at=days_from_now(-3)).json()

    rotated = patch(created["id"], version=1, application_secret=ROTATED, verify=False)

    assert rotated.status == 200
    assert expiry_of(rotated) is None  # a date already past was the old secret's: Entra issues no expired secret


def checks_of(response) -> dict[str, dict]:
    return {check["name"]: check for check in response.json()["checks"]}


def test_a_verified_rotation_checks_the_expiry_it_stores(azure, cloud):
    """The rotation's live verification and later ones judge the same date: the one kept."""
    soon = days_from_now(10)
    created = create(secret_expires_at=soon).json()
    azure.applications[APPLICATION_ID].add_secret(ROTATED)  # the customer added the new secret in Entra

    rotated = patch(created["id"], version=1, application_secret=ROTATED)
    verification = call_api("POST", f"/connections/{created['id']}/verify", claims=ANA)

    assert rotated.status == 200, rotated.text
    assert rotated.json()["status"] == "verified" and same_instant(expiry_of(rotated), soon)
    expiry = checks_of(verification)["secret_expiry"]
    assert expiry["ok"] is True and expiry["detail"].startswith("Warning: the application secret expires in")


def test_a_verified_rotation_after_the_known_date_is_not_refused_for_the_old_secrets_date(azure, cloud):
    created = create(secret_expires_at=days_from_now(-3)).json()
    azure.applications[APPLICATION_ID].add_secret(ROTATED)

    rotated = patch(created["id"], version=1, application_secret=ROTATED)
    verification = call_api("POST", f"/connections/{created['id']}/verify", claims=ANA)

    assert rotated.status == 200, rotated.text
    assert rotated.json()["status"] == "verified" and expiry_of(rotated) is None
    expiry = checks_of(verification)["secret_expiry"]
    assert (expiry["ok"], expiry["required"]) == (True, False)
    assert expiry["detail"].startswith("Cloudivize does not know when the application secret expires")
