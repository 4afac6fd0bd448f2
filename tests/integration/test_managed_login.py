"""Cognito's managed login, emulated in the local stack, driven as a browser would over real HTTP: PKCE with
authlib's client, the pages' forms with ``requests``, tokens checked by the local API's own authorizer."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from infrastructure.local.stack_info import StackInfo
from tests.integration.conftest import token_claims

PASSWORD = "Managed-Login-Passw0rd!"  # noqa: S105 - a test user's


def _client(info: StackInfo) -> OAuth2Session:
    return OAuth2Session(
        info.resources.client_id,
        scope="openid email profile",
        redirect_uri=info.oauth_redirect_uri,
        code_challenge_method="S256",
    )


def _authorize_url(info: StackInfo, verifier: str, **extra: str) -> tuple[str, str]:
    url, state = _client(info).create_authorization_url(
        info.auth_url + "/oauth2/authorize", code_verifier=verifier, **extra
    )
    return url, state


def _follow(
    browser: requests.Session, url: str, *, stop_at: str, method: str = "GET", **kwargs: Any
) -> requests.Response:
    """Follow redirects by hand until one leaves for ``stop_at`` (the console's callback is not served here)."""
    response = browser.request(method, url, allow_redirects=False, timeout=10, **kwargs)
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        if target.startswith(stop_at):
            return response
        response = browser.get(target, allow_redirects=False, timeout=10)
    return response


def _code_of(response: requests.Response, state: str) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def _sign_in(info: StackInfo, browser: requests.Session, email: str, password: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    url, state = _authorize_url(info, verifier)
    form = _follow(browser, url, stop_at=info.oauth_redirect_uri)
    assert form.status_code == 200 and 'name="password"' in form.text
    done = _follow(
        browser, form.url, method="POST", data={"email": email, "password": password}, stop_at=info.oauth_redirect_uri
    )
    return _code_of(done, state), verifier


def _exchange(info: StackInfo, code: str, verifier: str) -> requests.Response:
    return requests.post(
        info.auth_url + "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": info.resources.client_id,
            "code": code,
            "redirect_uri": info.oauth_redirect_uri,
            "code_verifier": verifier,
        },
        timeout=10,
    )


@pytest.fixture(scope="module")
def demo_tokens(local_stack) -> dict[str, Any]:
    code, verifier = _sign_in(local_stack, requests.Session(), local_stack.demo_username, local_stack.demo_password)
    response = _exchange(local_stack, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_code_and_pkce_sign_in_of_the_demo_user_gives_tokens_the_api_accepts(local_stack, api, demo_tokens):
    assert set(demo_tokens) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    assert demo_tokens["token_type"] == "Bearer"
    claims = token_claims(demo_tokens["id_token"])
    assert claims["iss"] == local_stack.resources.issuer and claims["aud"] == local_stack.resources.client_id

    me = api.get("/me", token=demo_tokens["id_token"])

    assert me.status_code == 200
    assert me.json()["email"] == local_stack.demo_username
    assert me.json()["sign_in_mode"] == "local"


def test_a_wrong_password_shows_the_form_again_and_no_code(local_stack):
    browser = requests.Session()
    url, _ = _authorize_url(local_stack, secrets.token_urlsafe(48))
    form = _follow(browser, url, stop_at=local_stack.oauth_redirect_uri)

    refused = browser.post(
        form.url,
        data={"email": local_stack.demo_username, "password": "Wrong-Passw0rd!"},
        allow_redirects=False,
        timeout=10,
    )

    assert refused.status_code == 200
    assert "Incorrect username or password." in refused.text and 'name="password"' in refused.text
    assert "code=" not in refused.headers.get("Location", "")


@pytest.mark.parametrize("redirect_uri", ["{console}/auth/callback/", "http://127.0.0.1:1/auth/callback"])
def test_a_redirect_uri_not_registered_exactly_is_refused_without_redirecting(local_stack, redirect_uri):
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": local_stack.resources.client_id,
        "scope": "openid",
        "redirect_uri": redirect_uri.format(console=local_stack.console_url),
        "state": "s",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }

    response = requests.get(local_stack.auth_url + "/oauth2/authorize", params=query, allow_redirects=False, timeout=10)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "pkce", [{}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"}, {"code_challenge": "a" * 43}]
)
def test_an_authorization_without_s256_pkce_is_refused(local_stack, pkce):
    query = {
        "response_type": "code",
        "client_id": local_stack.resources.client_id,
        "scope": "openid",
        "redirect_uri": local_stack.oauth_redirect_uri,
        "state": "s",
        **pkce,
    }

    response = requests.get(local_stack.auth_url + "/oauth2/authorize", params=query, allow_redirects=False, timeout=10)

    assert response.status_code == 302
    answer = parse_qs(urlsplit(response.headers["Location"]).query)
    assert answer["error"] == ["invalid_request"] and answer["state"] == ["s"] and "code" not in answer


def test_a_code_works_once_and_only_with_its_verifier(local_stack):
    code, verifier = _sign_in(local_stack, requests.Session(), local_stack.demo_username, local_stack.demo_password)
    assert _exchange(local_stack, code, verifier).status_code == 200

    again = _exchange(local_stack, code, verifier)

    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    other, _ = _sign_in(local_stack, requests.Session(), local_stack.demo_username, local_stack.demo_password)
    wrong = _exchange(local_stack, other, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def _refresh(info: StackInfo, refresh_token: str) -> requests.Response:
    return requests.post(
        info.auth_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": info.resources.client_id, "refresh_token": refresh_token},
        timeout=10,
    )


def test_refresh_gives_a_new_id_token_the_api_accepts_and_revoke_ends_it(local_stack, api):
    code, verifier = _sign_in(local_stack, requests.Session(), local_stack.demo_username, local_stack.demo_password)
    tokens = _exchange(local_stack, code, verifier).json()

    refreshed = _refresh(local_stack, tokens["refresh_token"])

    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"id_token", "access_token", "expires_in", "token_type"}
    assert refreshed.json()["id_token"] != tokens["id_token"]
    assert api.get("/me", token=refreshed.json()["id_token"]).status_code == 200
    revoked = requests.post(
        local_stack.auth_url + "/oauth2/revoke",
        data={"token": tokens["refresh_token"], "client_id": local_stack.resources.client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    after = _refresh(local_stack, tokens["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"


def test_user_info_answers_the_users_email(local_stack, demo_tokens):
    response = requests.get(
        local_stack.auth_url + "/oauth2/userInfo",
        headers={"Authorization": f"Bearer {demo_tokens['access_token']}"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["email"] == local_stack.demo_username
    assert response.json()["sub"] == token_claims(demo_tokens["id_token"])["sub"]
    no_token = requests.get(local_stack.auth_url + "/oauth2/userInfo", timeout=10)
    assert no_token.status_code == 401


def test_logout_refuses_an_unregistered_uri_and_with_a_registered_one_ends_the_session(local_stack):
    browser = requests.Session()
    _sign_in(local_stack, browser, local_stack.demo_username, local_stack.demo_password)
    verifier = secrets.token_urlsafe(48)
    url, state = _authorize_url(local_stack, verifier)
    assert "code=" in _follow(browser, url, stop_at=local_stack.oauth_redirect_uri).headers["Location"]  # remembered
    logout = local_stack.auth_url + "/logout"
    client_id = local_stack.resources.client_id

    refused = browser.get(
        logout, params={"client_id": client_id, "logout_uri": "http://127.0.0.1:1/"}, allow_redirects=False, timeout=10
    )
    done = browser.get(
        logout,
        params={"client_id": client_id, "logout_uri": local_stack.console_url + "/"},
        allow_redirects=False,
        timeout=10,
    )

    assert refused.status_code == 400 and "Location" not in refused.headers
    assert done.status_code == 302 and done.headers["Location"] == local_stack.console_url + "/"
    url, _ = _authorize_url(local_stack, verifier)
    form = _follow(browser, url, stop_at=local_stack.oauth_redirect_uri)
    assert form.status_code == 200 and 'name="password"' in form.text


def test_sign_up_with_the_logged_code_then_sign_in_shows_a_new_personal_organization(running_stack, local_stack, api):
    email = f"signup-{secrets.token_hex(4)}@example.com"
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    url, state = _authorize_url(local_stack, verifier)
    form = _follow(browser, url, stop_at=local_stack.oauth_redirect_uri)
    signup = urljoin(form.url, re.search(r'id="signup" href="([^"]+)"', form.text).group(1).replace("&amp;", "&"))
    weak = browser.post(signup, data={"email": email, "password": "short"}, allow_redirects=False, timeout=10)
    assert weak.status_code == 200 and "The password must have at least 12 characters" in weak.text

    confirm = browser.post(signup, data={"email": email, "password": PASSWORD}, allow_redirects=True, timeout=10)
    [code] = re.findall(rf"Verification code for {re.escape(email)}: (\d{{6}})", running_stack.output())
    wrong = browser.post(
        confirm.url, data={"code": f"{(int(code) + 1) % 10**6:06d}"}, allow_redirects=False, timeout=10
    )
    assert wrong.status_code == 200 and "Invalid verification code" in wrong.text
    done = _follow(browser, confirm.url, method="POST", data={"code": code}, stop_at=local_stack.oauth_redirect_uri)
    tokens = _exchange(local_stack, _code_of(done, state), verifier).json()

    me = api.get("/me", token=tokens["id_token"])

    assert me.status_code == 200
    assert me.json()["email"] == email
    assert len(me.json()["organizations"]) == 1
    output = running_stack.output()
    assert PASSWORD not in output and tokens["id_token"] not in output and tokens["refresh_token"] not in output
    assert output.count(code) == 1  # the verification line only


def _amazon_sign_in(info: StackInfo, name: str, email: str) -> dict[str, Any]:
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    url, state = _authorize_url(info, verifier, identity_provider="LoginWithAmazon")
    consent = _follow(browser, url, stop_at=info.oauth_redirect_uri)
    assert consent.status_code == 200 and consent.url.startswith(info.amazon_url + "/ap/oa")
    done = _follow(
        browser, consent.url, method="POST", data={"name": name, "email": email}, stop_at=info.oauth_redirect_uri
    )
    response = _exchange(info, _code_of(done, state), verifier)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_first_sign_in_with_amazon_makes_a_federated_user_whose_first_token_says_amazon(
    running_stack, local_stack, api
):
    email = f"amazon-{secrets.token_hex(4)}@example.com"

    first = _amazon_sign_in(local_stack, "Ama Zon", email)
    second = _amazon_sign_in(local_stack, "Ama Zon", email)

    claims = token_claims(first["id_token"])
    [identity] = claims["identities"]
    assert identity["providerName"] == "LoginWithAmazon" and identity["providerType"] == "LoginWithAmazon"
    assert identity["userId"].startswith("amzn1.account.") and identity["primary"] == "true"
    assert claims["email"] == email and claims["name"] == "Ama Zon"
    assert claims["cognito:username"] == f"LoginWithAmazon_{identity['userId']}"
    me = api.get("/me", token=first["id_token"])
    assert me.status_code == 200 and me.json()["sign_in_mode"] == "amazon"
    again = api.get("/me", token=second["id_token"])
    assert token_claims(second["id_token"])["sub"] == claims["sub"]
    assert again.json()["organizations"] == me.json()["organizations"]
    assert first["access_token"] not in running_stack.output()


def test_the_discovery_document_and_jwks(local_stack):
    pool = local_stack.resources.user_pool_id
    document = requests.get(f"{local_stack.auth_url}/{pool}/.well-known/openid-configuration", timeout=10).json()
    keys = requests.get(f"{local_stack.auth_url}/{pool}/.well-known/jwks.json", timeout=10).json()

    assert document["issuer"] == local_stack.resources.issuer
    assert document["authorization_endpoint"] == local_stack.auth_url + "/oauth2/authorize"
    assert document["token_endpoint"] == local_stack.auth_url + "/oauth2/token"
    assert document["userinfo_endpoint"] == local_stack.auth_url + "/oauth2/userInfo"
    assert document["revocation_endpoint"] == local_stack.auth_url + "/oauth2/revoke"
    assert document["jwks_uri"] == local_stack.resources.jwks_url
    assert "end_session_endpoint" not in document
    assert keys == requests.get(local_stack.resources.jwks_url, timeout=10).json()


def test_the_token_endpoint_allows_the_console_origin_only(local_stack):
    for origin, allowed in ((local_stack.console_url, local_stack.console_url), ("http://evil.example", None)):
        response = requests.options(local_stack.auth_url + "/oauth2/token", headers={"Origin": origin}, timeout=10)
        assert response.headers.get("Access-Control-Allow-Origin") == allowed


def test_config_json_has_the_contract_keys(local_stack):
    config = requests.get(local_stack.console_url + "/config.json", timeout=10).json()

    assert config == {
        "apiUrl": local_stack.api_url,
        "authority": local_stack.resources.issuer,
        "metadataUrl": f"{local_stack.auth_url}/{local_stack.resources.user_pool_id}/.well-known/openid-configuration",
        "clientId": local_stack.resources.client_id,
        "redirectUri": local_stack.console_url + "/auth/callback",
        "postLogoutRedirectUri": local_stack.console_url + "/",
        "logoutEndpoint": local_stack.auth_url + "/logout",
        "scope": "openid email profile",
        "identityProviders": ["COGNITO", "LoginWithAmazon"],
    }


def test_the_info_file_has_the_sign_in_keys(info_file, local_stack):
    import json

    data = json.loads(info_file.read_text())

    assert data["auth_url"] == local_stack.auth_url and data["console_url"] == local_stack.console_url
    assert data["oauth_redirect_uri"] == local_stack.console_url + "/auth/callback"
    assert data["amazon_url"] == local_stack.amazon_url
    assert (
        requests.options(
            local_stack.api_url + "/me",
            headers={"Origin": local_stack.console_url, "Access-Control-Request-Method": "GET"},
            timeout=10,
        ).headers.get("Access-Control-Allow-Origin")
        == local_stack.console_url
    )
