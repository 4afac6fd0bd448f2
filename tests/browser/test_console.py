"""The console in chromium against the local stack's real API, signed in through a contract stand-in of the
managed login (``login_double``): the console's own behaviour, screen by screen.

The stack runs in this process (its functions too), so that a refusal only AWS produces, a role that lacks a
permission, is played with a botocore Stubber while everything else is real: real tokens, real HTTP with CORS
from the console's origin, the emulator's EC2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from cloudivize import composition
from infrastructure.local.aws.users import sign_in as sign_in_tokens
from infrastructure.local.customer_account import DEMO_REGIONS, account_session
from infrastructure.local.stack import LocalStack
from infrastructure.local.stack_info import StackInfo
from tests.utils import stub_customer_client

from .conftest import STEP_TIMEOUT_MS
from .login_double import ConsoleSite

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(console_dist) -> Iterator[ConsoleSite]:
    served = ConsoleSite(console_dist).start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def stack(site) -> Iterator[StackInfo]:
    # The console's origin is the one browser origin the API allows, as the deployed stack names its console's.
    with LocalStack(functions_in_this_process=True, allowed_origins=(site.console.origin,)) as running:
        info = running.info
        site.configure(
            api_url=info.api_url,
            user_pool_id=info.resources.user_pool_id,
            client_id=info.resources.client_id,
            region=info.resources.region,
            tokens=lambda: sign_in_tokens(info.resources, info.demo_username, info.demo_password),
        )
        yield info


def api(stack: StackInfo, method: str, path: str, **kwargs: Any) -> requests.Response:
    token = sign_in_tokens(stack.resources, stack.demo_username, stack.demo_password)["IdToken"]
    return requests.request(
        method, stack.api_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )


def instance_state(stack: StackInfo, region: str, instance_id: str) -> str:
    endpoint = stack.resources.aws_endpoint_url
    ec2 = account_session(stack.demo_customer_account_id, endpoint_url=endpoint).client(
        "ec2", region_name=region, endpoint_url=endpoint
    )
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def sign_in(page: Page, site: ConsoleSite, stack: StackInfo) -> None:
    page.goto(site.console.origin + "/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("whoami")).to_contain_text(stack.demo_username)


@pytest.fixture
def connection(stack) -> Iterator[str]:
    """The demo account connected (through the API) in its two regions; deleted afterwards."""
    body = {"provider": "aws", "name": "Demo", "role_arn": stack.demo_role_arn, "regions": list(DEMO_REGIONS)}
    created = api(stack, "POST", "/connections", json=body)
    assert created.status_code == 201, created.text
    yield created.json()["id"]
    assert api(stack, "DELETE", f"/connections/{created.json()['id']}").status_code == 204


def test_the_signed_out_page_offers_the_three_ways_in(page, site, stack):
    page.goto(site.console.origin + "/")

    expect(page.get_by_role("heading", name="Cloudivize")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with Amazon")).to_be_visible()
    expect(page.get_by_role("button", name="Create an account")).to_be_visible()
    assert site.recorded.authorize == []


def test_sign_in_is_the_code_flow_with_pkce_and_the_api_answers_who_i_am(page, site, stack):
    sign_in(page, site, stack)

    request = site.recorded.authorize[-1]
    assert request["response_type"] == "code"
    assert request["client_id"] == stack.resources.client_id
    assert request["redirect_uri"] == site.console.origin + "/auth/callback"
    assert request["scope"] == "openid email profile"
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43 and request["state"]
    assert "identity_provider" not in request
    assert site.recorded.token_grants[-1] == "authorization_code"
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text("sign-in: local")
    expect(whoami).to_contain_text("role: owner")
    assert page.url == site.console.origin + "/"  # the code and state are gone from the address bar
    expect(page.get_by_role("combobox", name="Organization")).to_have_value(re.compile(r".+"))


def test_continue_with_amazon_asks_the_managed_login_for_login_with_amazon(page, site, stack):
    page.goto(site.console.origin + "/")
    page.get_by_role("button", name="Continue with Amazon").click()

    expect(page.get_by_test_id("whoami")).to_be_visible()
    assert site.recorded.authorize[-1]["identity_provider"] == "LoginWithAmazon"
    assert site.recorded.authorize[-1]["code_challenge_method"] == "S256"


def test_create_an_account_opens_the_managed_logins_sign_up_with_the_authorize_request(page, site, stack):
    page.goto(site.console.origin + "/")
    page.get_by_role("button", name="Create an account").click()

    expect(page.get_by_test_id("whoami")).to_be_visible()
    request = site.recorded.signup[-1]
    assert request["redirect_uri"] == site.console.origin + "/auth/callback"
    assert request["code_challenge_method"] == "S256"
    assert request["client_id"] == stack.resources.client_id


def test_connect_the_demo_account_see_its_checks_and_its_four_instances_then_delete_it(page, site, stack):
    sign_in(page, site, stack)
    external_id = api(stack, "GET", "/onboarding/aws").json()["external_id"]

    page.get_by_role("link", name="Connect an AWS account").click()
    expect(page.locator("#external-id")).to_have_text(external_id)
    expect(page.get_by_role("link", name="Open the template in AWS CloudFormation")).to_have_attribute(
        "href", re.compile(r"^https://console\.aws\.amazon\.com/cloudformation/")
    )
    page.get_by_label("Name", exact=True).fill("Demo from the console")
    page.get_by_label("Role ARN").fill(stack.demo_role_arn)
    page.get_by_label("Regions").fill("us-east-1, eu-west-1")
    page.get_by_role("button", name="Connect").click()

    expect(page.get_by_role("heading", name="Demo from the console")).to_be_visible()
    expect(page.locator(".verified")).to_have_text("Verified: Cloudivize can use this connection.")
    checks = page.get_by_role("list", name="Verification checks").locator("li")
    expect(checks.first).to_be_visible()
    assert checks.count() >= 3 and page.locator(".check.fail").count() == 0
    page.get_by_label("Type").fill("ec2:instance")
    page.get_by_role("button", name="List").click()
    rows = page.locator(".assets tbody tr")
    expect(rows).to_have_count(4)
    assert sorted(rows.locator("td:nth-child(5)").all_inner_texts()) == [
        "eu-west-1",
        "eu-west-1",
        "us-east-1",
        "us-east-1",
    ]
    page.get_by_label("Region").select_option("eu-west-1")
    page.get_by_role("button", name="List").click()
    expect(rows.locator("td:nth-child(5)")).to_have_text(["eu-west-1", "eu-west-1"])

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    expect(page.get_by_text("No connections yet")).to_be_visible()
    assert api(stack, "GET", "/connections").json()["items"] == []


def test_stop_an_instance_and_see_its_result(page, site, stack, connection):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Demo").click()
    page.get_by_label("Type").fill("ec2:instance")
    page.get_by_label("Region").select_option("us-east-1")
    page.get_by_role("button", name="List").click()
    rows = page.locator(".assets tbody tr")
    expect(rows.locator("td:nth-child(5)")).to_have_text(["us-east-1", "us-east-1"])
    row = rows.first
    expect(row.locator(".state")).to_have_text("running")
    instance_id = row.get_attribute("data-asset-id")

    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Stop").click()

    expect(row.locator(".result")).to_have_text("stop: ok (stopping)")
    expect(page.locator(".action-outcome")).to_have_text("stop: done for 1.")
    assert instance_state(stack, "us-east-1", instance_id) in ("stopping", "stopped")


def test_an_action_the_customers_role_does_not_allow_shows_the_permission_it_lacks(
    page, site, stack, connection, monkeypatch
):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Demo").click()
    page.get_by_label("Type").fill("ec2:instance")
    page.get_by_label("Region").select_option("eu-west-1")
    page.get_by_role("button", name="List").click()
    rows = page.locator(".assets tbody tr")
    expect(rows.locator("td:nth-child(5)")).to_have_text(["eu-west-1", "eu-west-1"])
    row = rows.first
    row.get_by_role("checkbox").check()
    # From here the customer's role refuses the reboot, as AWS does; the next request runs in a new warm
    # container (a new backend), whose customer clients are built through the stub.
    stub_customer_client(
        monkeypatch,
        "ec2",
        lambda stubber: stubber.add_client_error(
            "reboot_instances", "UnauthorizedOperation", "refused", http_status_code=403
        ),
    )
    composition.backend.cache_clear()

    page.get_by_role("button", name="Reboot").click()

    expect(row.locator(".result")).to_have_text("reboot: denied: needs ec2:RebootInstances")
    outcome = page.locator(".action-outcome")
    expect(outcome.locator(".missing-permission")).to_have_text("ec2:RebootInstances")
    expect(outcome.locator(".problem-detail")).to_contain_text(
        f"The role {stack.demo_role_arn} does not allow ec2:RebootInstances"
    )


def test_a_rename_of_a_connection_changed_meanwhile_says_so_and_works_after_a_reload(page, site, stack, connection):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Demo").click()
    expect(page.get_by_role("heading", name="Demo")).to_be_visible()
    changed = api(stack, "PATCH", f"/connections/{connection}", json={"name": "Renamed elsewhere", "version": 1})
    assert changed.status_code == 200, changed.text

    page.get_by_label("Name", exact=True).fill("Renamed here")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator(".problem-title")).to_have_text("Changed by someone else — reload")
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("heading", name="Renamed elsewhere")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Renamed here")
    page.get_by_role("button", name="Rename").click()

    expect(page.get_by_role("heading", name="Renamed here")).to_be_visible()
    assert api(stack, "GET", f"/connections/{connection}").json()["name"] == "Renamed here"


def test_a_field_the_api_refuses_is_named_with_its_message(page, site, stack):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Connect an AWS account").click()
    page.get_by_label("Role ARN").fill(stack.demo_role_arn)
    page.get_by_label("Regions").fill("mars-1")
    page.get_by_role("button", name="Connect").click()

    problem = page.get_by_role("alert")
    expect(problem.locator(".field-errors code")).to_have_text("regions.0")
    expect(problem.locator(".problem-detail")).not_to_be_empty()
    assert api(stack, "GET", "/connections").json()["items"] == []


def test_sign_out_revokes_the_refresh_token_and_ends_the_managed_login_session(page, site, stack):
    sign_in(page, site, stack)
    revoked_before = len(site.recorded.revoked)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    [revoked] = site.recorded.revoked[revoked_before:]
    assert revoked["token_type_hint"] == "refresh_token" and revoked["client_id"] == stack.resources.client_id
    assert revoked["token"]
    assert site.recorded.logouts[-1] == {
        "client_id": stack.resources.client_id,
        "logout_uri": site.console.origin + "/",
    }
    assert page.url == site.console.origin + "/"


def test_a_configuration_without_a_key_says_which(page, site, stack):
    complete = dict(site.config)
    site.config = {key: value for key, value in complete.items() if key != "clientId"}
    try:
        page.goto(site.console.origin + "/")
        expect(page.get_by_role("alert")).to_have_text("The console's configuration lacks clientId.")
    finally:
        site.config = complete


def test_tokens_about_to_expire_are_renewed_with_the_refresh_token(page, site, stack):
    # oidc-client-ts renews 60 s before expiry: tokens said to last 61 s are renewed about a second after sign-in.
    site.expires_in, grants_before = 61, site.recorded.token_grants.count("refresh_token")
    site.renewed.clear()
    try:
        sign_in(page, site, stack)
        assert site.renewed.wait(STEP_TIMEOUT_MS / 1000), "the console did not renew its tokens"
    finally:
        site.expires_in = None
    assert site.recorded.token_grants.count("refresh_token") == grants_before + 1
    # The renewed ID token is the one the API gets now.
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_role("combobox", name=f"Role of {stack.demo_username}")).to_have_value("owner")


def test_members_and_invitations_for_an_admin(page, site, stack):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Members").click()

    expect(page.get_by_role("combobox", name=f"Role of {stack.demo_username}")).to_have_value("owner")
    page.get_by_label("Email").fill("bo@example.com")
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_role("button", name="Invite").click()
    invitation = page.locator(".invitations li")
    expect(invitation).to_contain_text("bo@example.com as operator")
    [pending] = api(stack, "GET", "/invitations").json()["items"]
    assert (pending["email"], pending["role"]) == ("bo@example.com", "operator")

    invitation.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    assert api(stack, "GET", "/invitations").json()["items"] == []


def test_connect_an_azure_subscription_shows_the_az_commands(page, site, stack):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Connect an Azure subscription").click()

    commands = api(stack, "GET", "/onboarding/azure").json()["commands"]
    expect(page.locator("pre.commands")).to_have_text("\n".join(commands))
    expect(page.get_by_label("Client secret value")).to_have_attribute("type", "password")
