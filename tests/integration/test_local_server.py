"""What a frontend developer meets running the local stack: the server, its docs page, its CLI, its shutdown, and
the user pool's rules, over real HTTP against ``python -m infrastructure.local run``."""

from __future__ import annotations

import http.client
import json
import re
import signal
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from cloudivize.errors import PROBLEM_CONTENT_TYPE
from infrastructure.local.aws.emulator import aws_client
from infrastructure.local.gateway.docs import SWAGGER_UI_SCRIPT_PATH, SWAGGER_UI_STYLESHEET_PATH
from tests.integration.conftest import cognito, run_cli, start_local_stack

pytestmark = pytest.mark.integration

TENANT_CLAIM = "custom:tenant_id"
UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"


def address(info) -> tuple[str, int]:
    host, port = info.api_url.removeprefix("http://").split(":")
    return host, int(port)


# --- Unknown methods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "allow"),
    [("TRACE", "/me", "GET"), ("PROPFIND", "/settings", "GET, PUT"), ("get", "/me", "GET"), ("CONNECT", "a:443", "")],
)
def test_an_unknown_method_is_a_405_problem_with_allow_and_a_request_id(local_stack, demo_token, method, target, allow):
    connection = http.client.HTTPConnection(*address(local_stack), timeout=10)
    connection.request(method, target, headers={"Authorization": f"Bearer {demo_token}"})

    response = connection.getresponse()

    assert response.status == 405
    assert response.getheader("Content-Type") == PROBLEM_CONTENT_TYPE
    assert response.getheader("Allow") == allow
    assert uuid.UUID(response.getheader("X-Request-Id"))
    assert json.loads(response.read())["status"] == 405
    connection.close()


def test_a_malformed_request_line_is_a_problem_not_html(local_stack):
    connection = http.client.HTTPConnection(*address(local_stack), timeout=10)
    connection.connect()
    connection.sock.sendall(b"GET /me HTTP/1.1 trailing-word\r\n\r\n")
    response = http.client.HTTPResponse(connection.sock)
    response.begin()

    assert response.status == 400
    assert response.getheader("Content-Type") == PROBLEM_CONTENT_TYPE
    assert uuid.UUID(response.getheader("X-Request-Id"))
    assert json.loads(response.read())["type"] == "https://cloudivize.com/problems/bad-request"
    connection.close()


# --- Swagger UI offline --------------------------------------------------------------------------------------


def test_the_docs_page_references_no_external_url_and_every_file_it_loads_is_served(local_stack):
    page = requests.get(f"{local_stack.api_url}/docs", timeout=10)
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text)

    assert page.status_code == 200
    assert re.findall(r"https?://|//[a-z]", page.text) == []
    assert sorted(url.split("?")[0] for url in loaded) == sorted([SWAGGER_UI_SCRIPT_PATH, SWAGGER_UI_STYLESHEET_PATH])
    for url in loaded:
        assert requests.get(local_stack.api_url + url, timeout=10).status_code == 200, url


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        (SWAGGER_UI_SCRIPT_PATH, "text/javascript; charset=utf-8", b"/*! For license information"),
        (SWAGGER_UI_STYLESHEET_PATH, "text/css; charset=utf-8", b".swagger-ui"),
    ],
)
def test_swagger_uis_files_are_served_with_their_content_type_and_a_cache_header(
    local_stack, path, content_type, start
):
    response = requests.get(local_stack.api_url + path, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.content.startswith(start)


# --- Shutdown ------------------------------------------------------------------------------------------------

# A stop signal at least every few milliseconds until the process is gone: they land during the handling of the
# first, during the shutdown and during the interpreter's exit.
SIGNALS = {
    "SIGTERM": [signal.SIGTERM],
    "SIGINT": [signal.SIGINT],
    "SIGTERM and SIGINT": [signal.SIGTERM, signal.SIGINT],
}
MAX_SIGNALS = 3000
SIGNAL_PACE_SECONDS = 0.001


@pytest.mark.parametrize("signals", SIGNALS.values(), ids=SIGNALS.keys())
def test_stop_signals_however_often_they_arrive_stop_the_stack_cleanly(tmp_path, signals):
    stack = start_local_stack(tmp_path)
    stack.wait_until_ready()
    sent = 0
    while stack.process.poll() is None and sent < MAX_SIGNALS:
        stack.process.send_signal(signals[sent % len(signals)])
        sent += 1
        time.sleep(SIGNAL_PACE_SECONDS)

    exit_code = stack.stop(signals[0])  # waits, and fails the test if the process still runs

    assert sent > 1
    assert exit_code == 0, stack.output()
    assert not stack.info_file.exists()
    assert "Traceback" not in stack.output()


# --- The app client's write attributes -----------------------------------------------------------------------


def attributes_of(info, username: str) -> dict[str, str]:
    user = cognito(info).admin_get_user(UserPoolId=info.resources.user_pool_id, Username=username)
    return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


@pytest.fixture(scope="module")
def demo_access_token(local_stack) -> str:
    response = cognito(local_stack).initiate_auth(
        ClientId=local_stack.resources.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": local_stack.demo_username, "PASSWORD": local_stack.demo_password},
    )
    return response["AuthenticationResult"]["AccessToken"]


def test_a_signed_in_user_cannot_write_their_own_tenant(local_stack, demo_access_token):
    # The attribute stays unset (the membership is the authority), and no client may set it.
    tenant_before = attributes_of(local_stack, local_stack.demo_username).get(TENANT_CLAIM)

    with pytest.raises(ClientError) as refused:
        cognito(local_stack).update_user_attributes(
            AccessToken=demo_access_token, UserAttributes=[{"Name": TENANT_CLAIM, "Value": "someone-elses-tenant"}]
        )

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == UNAUTHORIZED_ATTRIBUTE
    assert attributes_of(local_stack, local_stack.demo_username).get(TENANT_CLAIM) == tenant_before


def test_an_attribute_the_app_client_may_write_is_written(local_stack, demo_access_token):
    cognito(local_stack).update_user_attributes(
        AccessToken=demo_access_token, UserAttributes=[{"Name": "name", "Value": "Demo User"}]
    )

    assert attributes_of(local_stack, local_stack.demo_username)["name"] == "Demo User"


def test_a_sign_up_cannot_choose_its_tenant(local_stack):
    email = f"mallory-{uuid.uuid4().hex[:8]}@example.com"
    idp = cognito(local_stack)

    with pytest.raises(ClientError) as refused:
        idp.sign_up(
            ClientId=local_stack.resources.client_id,
            Username=email,
            Password="Sign-Up-Passw0rd!",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": TENANT_CLAIM, "Value": "someone-elses-tenant"}],
        )

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == UNAUTHORIZED_ATTRIBUTE
    users = idp.list_users(UserPoolId=local_stack.resources.user_pool_id, Filter=f'email = "{email}"')["Users"]
    assert users == []


def test_a_sign_up_with_writable_attributes_is_accepted(local_stack):
    email = f"sam-{uuid.uuid4().hex[:8]}@example.com"

    signed_up = cognito(local_stack).sign_up(
        ClientId=local_stack.resources.client_id,
        Username=email,
        Password="Sign-Up-Passw0rd!",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Sam"}],
    )

    assert signed_up["UserConfirmed"] is False
    assert attributes_of(local_stack, email)["name"] == "Sam"


# --- users add -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com"])
def test_adding_a_user_with_a_bad_email_says_so_on_one_stderr_line(local_stack, info_file, email):
    added = run_cli(info_file, "users", "add", email, "Another-Passw0rd!")

    assert added.returncode == 2
    assert added.stdout == ""
    assert added.stderr == f"error: {email} is not an email address.\n"


def test_adding_a_user_with_a_weak_password_states_the_policy_and_leaves_no_user(local_stack, info_file):
    email = f"weak-{uuid.uuid4().hex[:8]}@example.com"

    added = run_cli(info_file, "users", "add", email, "password")

    assert added.returncode == 2
    assert added.stdout == ""
    assert added.stderr == (
        "error: The password does not meet the user pool's policy: at least 12 characters, "
        "with a lowercase letter, an uppercase letter, a digit and a symbol.\n"
    )
    idp = aws_client("cognito-idp", local_stack.resources.aws_endpoint_url, local_stack.resources.region)
    users = idp.list_users(UserPoolId=local_stack.resources.user_pool_id, Filter=f'email = "{email}"')["Users"]
    assert users == []


def test_adding_a_user_prints_only_the_user_on_stdout(local_stack, info_file):
    email = f"cleo-{uuid.uuid4().hex[:8]}@example.com"

    added = run_cli(info_file, "users", "add", email, "Another-Passw0rd!")

    assert added.returncode == 0, added.stderr
    from cloudivize.tenants import tenant_id_for_first_user

    sub = attributes_of(local_stack, email)["sub"]
    tenant = tenant_id_for_first_user(local_stack.resources.user_pool_id, sub)
    assert added.stdout == f"Added {email} (user id {sub}) in tenant {tenant}\n"
