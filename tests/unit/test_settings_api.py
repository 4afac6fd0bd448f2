import pytest

from tests.utils import call_api, claims_for

ANA, BO = claims_for("tenant-1", "user-1"), claims_for("tenant-1", "user-2", "bo@example.com")


def test_settings_default_until_saved(cloud):
    response = call_api("GET", "/settings", claims=ANA)

    assert response.status == 200
    assert response.json()["theme"] == "system"
    assert response.json()["updated_at"] is None


def test_saved_settings_are_read_back_per_user(cloud):
    body = {
        "default_regions": ["eu-west-1"],
        "theme": "dark",
        "timezone": "Europe/Berlin",
        "preferences": {"grid": True},
    }

    saved = call_api("PUT", "/settings", claims=ANA, body=body)

    assert saved.status == 200
    assert call_api("GET", "/settings", claims=ANA).json() == saved.json()
    assert call_api("GET", "/settings", claims=BO).json()["theme"] == "system"  # another user's own settings


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"theme": "neon"}, "theme"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"default_regions": ["nowhere-1"]}, "default_regions.0"),
        ({"preferences": {f"k{i}": i for i in range(51)}}, "preferences"),
        ({"preferences": {"note": "x" * 300}}, "preferences.note"),
        ({"preferences": {"nested": {"a": 1}}}, "preferences.nested"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_or_oversized_settings_are_422_naming_the_field(cloud, body, field):
    response = call_api("PUT", "/settings", claims=ANA, body=body)

    assert response.status == 422
    assert any(error["field"].startswith(field) for error in response.json()["errors"]), response.json()
    assert cloud.items_beyond_sign_up() == []
