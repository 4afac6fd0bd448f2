"""Where the managed login finds Login with Amazon: the stand-in by default, real endpoints when configured."""

from __future__ import annotations

from infrastructure.local.login.amazon import STAND_IN_CLIENT_ID, AmazonEndpoints, amazon_user_id


def test_by_default_the_stand_in_with_a_secret_made_for_this_run():
    first = AmazonEndpoints.from_environment("http://127.0.0.1:8332", {})
    second = AmazonEndpoints.from_environment("http://127.0.0.1:8332", {})

    assert (first.authorize_url, first.token_url, first.profile_url) == (
        "http://127.0.0.1:8332/ap/oa",
        "http://127.0.0.1:8332/auth/o2/token",
        "http://127.0.0.1:8332/user/profile",
    )
    assert first.client_id == STAND_IN_CLIENT_ID
    assert len(first.client_secret) >= 32 and first.client_secret != second.client_secret
    assert first.client_secret not in repr(first)


def test_the_environment_names_the_real_login_with_amazon():
    environ = {
        "CLOUDIVIZE_AMAZON_AUTHORIZE_URL": "https://www.amazon.com/ap/oa",
        "CLOUDIVIZE_AMAZON_TOKEN_URL": "https://api.amazon.com/auth/o2/token",
        "CLOUDIVIZE_AMAZON_PROFILE_URL": "https://api.amazon.com/user/profile",
        "CLOUDIVIZE_AMAZON_CLIENT_ID": "amzn1.application-oa2-client.real",
        "CLOUDIVIZE_AMAZON_CLIENT_SECRET": "real-secret",
    }

    endpoints = AmazonEndpoints.from_environment("http://127.0.0.1:8332", environ)

    assert endpoints == AmazonEndpoints(
        "https://www.amazon.com/ap/oa",
        "https://api.amazon.com/auth/o2/token",
        "https://api.amazon.com/user/profile",
        "amzn1.application-oa2-client.real",
        "real-secret",
    )


def test_a_stand_in_profile_has_one_stable_amazon_user_id_per_email():
    assert amazon_user_id("Ada@Amazon.example ") == amazon_user_id("ada@amazon.example")
    assert amazon_user_id("ada@amazon.example") != amazon_user_id("bo@amazon.example")
    assert amazon_user_id("ada@amazon.example").startswith("amzn1.account.")
