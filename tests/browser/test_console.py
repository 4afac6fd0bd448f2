"""The console in chromium against the local stack's real API, signed in through the stack's own managed login
(the emulated Cognito managed login, as ``make run`` serves it): the console's own behaviour, screen by screen.
What the console asks of the managed login (PKCE, scopes, revocation, logout) is read from the browser's requests.

The stack runs in this process, its functions in warm containers as ``make run`` runs them: real tokens, real
HTTP with CORS from the console's origin, the emulator's EC2, which refuses what a customer role's policies do not
allow. (``test_console_sign_in.py`` runs against ``make run``'s stack itself, a process of its own.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from playwright.sync_api import Page, Request, Route, expect

from infrastructure.local.aws.users import sign_in as sign_in_tokens
from infrastructure.local.customer_account import DEMO_REGIONS, account_session
from infrastructure.local.stack import LocalStack
from infrastructure.local.stack_info import StackInfo

from .conftest import STEP_TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(console_dist) -> Iterator[StackInfo]:
    with LocalStack(console_dist=console_dist) as running:
        yield running.info


@dataclass
class ManagedLoginRequests:
    """What the browser asked of the managed login, request by request (query or form fields)."""

    auth_url: str
    authorize: list[dict[str, str]] = field(default_factory=list)
    signup: list[dict[str, str]] = field(default_factory=list)
    token_grants: list[str] = field(default_factory=list)
    revoked: list[dict[str, str]] = field(default_factory=list)
    logouts: list[dict[str, str]] = field(default_factory=list)

    def saw(self, request: Request) -> None:
        url = urlsplit(request.url)
        if not request.url.startswith(self.auth_url):
            return
        query = dict(parse_qsl(url.query))
        form = dict(parse_qsl(request.post_data or "")) if request.method == "POST" else {}
        if url.path == "/oauth2/authorize":
            self.authorize.append(query)
        elif url.path == "/signup" and request.method == "GET":
            self.signup.append(query)
        elif url.path == "/oauth2/token" and request.method == "POST":
            self.token_grants.append(form["grant_type"])
        elif url.path == "/oauth2/revoke" and request.method == "POST":
            self.revoked.append(form)
        elif url.path == "/logout":
            self.logouts.append(query)


@pytest.fixture
def site(page: Page, stack: StackInfo) -> ManagedLoginRequests:
    recorded = ManagedLoginRequests(stack.auth_url)
    page.on("request", recorded.saw)
    return recorded


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


def sign_in(page: Page, site: ManagedLoginRequests, stack: StackInfo) -> None:
    page.goto(stack.console_url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(stack.auth_url + "/**")
    page.get_by_label("Email").fill(stack.demo_username)
    page.get_by_label("Password").fill(stack.demo_password)
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


def expect_verified(page, *, at_least: int) -> None:
    """The connection's page says it is verified, with at least that many checks and none failed."""
    expect(page.locator(".verified")).to_have_text("Verified: Cloudivize can use this connection.")
    checks = page.get_by_role("list", name="Verification checks").locator("li")
    expect(checks.first).to_be_visible()
    assert checks.count() >= at_least and page.locator(".check.fail").count() == 0


def test_the_signed_out_page_offers_the_three_ways_in(page, site, stack):
    page.goto(stack.console_url + "/")

    expect(page.get_by_role("heading", name="Cloudivize")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with Amazon")).to_be_visible()
    expect(page.get_by_role("button", name="Create an account")).to_be_visible()
    # Identity Center is offered only where the stack configures it (deployed, from context): not locally.
    expect(page.get_by_role("button", name="Continue with AWS IAM Identity Center")).to_have_count(0)
    assert site.authorize == []


def test_a_stack_with_identity_center_offers_it_and_asks_the_managed_login_for_it(page, site, stack):
    def with_identity_center(route: Route) -> None:
        served = route.fetch()
        config = served.json()
        route.fulfill(
            response=served, json={**config, "identityProviders": [*config["identityProviders"], "IdentityCenter"]}
        )

    # The managed login of this stack has no such provider: the request it is sent is what matters here.
    page.route(stack.auth_url + "/oauth2/authorize*", lambda route: route.fulfill(status=204))
    page.route(stack.console_url + "/config.json", with_identity_center)
    page.goto(stack.console_url + "/")
    with page.expect_request(stack.auth_url + "/oauth2/authorize*"):
        page.get_by_role("button", name="Continue with AWS IAM Identity Center").click()

    assert site.authorize[-1]["identity_provider"] == "IdentityCenter"
    assert site.authorize[-1]["code_challenge_method"] == "S256"


def test_sign_in_is_the_code_flow_with_pkce_and_the_api_answers_who_i_am(page, site, stack):
    sign_in(page, site, stack)

    request = site.authorize[-1]
    assert request["response_type"] == "code"
    assert request["client_id"] == stack.resources.client_id
    assert request["redirect_uri"] == stack.console_url + "/auth/callback"
    assert request["scope"] == "openid email profile"
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43 and request["state"]
    assert "identity_provider" not in request
    assert site.token_grants[-1] == "authorization_code"
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text("sign-in: local")
    expect(whoami).to_contain_text("role: owner")
    assert page.url == stack.console_url + "/"  # the code and state are gone from the address bar
    expect(page.get_by_role("combobox", name="Organization")).to_have_value(re.compile(r".+"))


def test_continue_with_amazon_asks_the_managed_login_for_login_with_amazon(page, site, stack):
    page.goto(stack.console_url + "/")
    page.get_by_role("button", name="Continue with Amazon").click()
    page.wait_for_url(stack.amazon_url + "/**")
    page.get_by_role("button", name=re.compile(r"^Continue as")).first.click()

    expect(page.get_by_test_id("whoami")).to_contain_text("sign-in: amazon")
    # The console's own request; the managed login then resumes it with its session, as Cognito's does.
    assert site.authorize[0]["identity_provider"] == "LoginWithAmazon"
    assert site.authorize[0]["code_challenge_method"] == "S256"


def test_create_an_account_opens_the_managed_logins_sign_up_with_the_authorize_request(page, site, stack):
    page.goto(stack.console_url + "/")
    page.get_by_role("button", name="Create an account").click()

    page.wait_for_url(stack.auth_url + "/signup**")
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    request = site.signup[-1]
    assert request["redirect_uri"] == stack.console_url + "/auth/callback"
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
    expect_verified(page, at_least=3)
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


def test_an_action_the_customers_role_does_not_allow_shows_the_permission_it_lacks(page, site, stack):
    # The demo account's read-only role: the emulator refuses its reboot as EC2 does (UnauthorizedOperation).
    body = {"provider": "aws", "name": "Read-only", "role_arn": stack.demo_read_only_role_arn, "regions": ["eu-west-1"]}
    created = api(stack, "POST", "/connections", json=body)
    assert created.status_code == 201, created.text
    try:
        sign_in(page, site, stack)
        page.get_by_role("link", name="Read-only").click()
        page.get_by_label("Type").fill("ec2:instance")
        page.get_by_role("button", name="List").click()
        rows = page.locator(".assets tbody tr")
        expect(rows.locator("td:nth-child(5)")).to_have_text(["eu-west-1", "eu-west-1"])
        row = rows.first
        row.get_by_role("checkbox").check()

        page.get_by_role("button", name="Reboot").click()

        expect(row.locator(".result")).to_have_text("reboot: denied: needs ec2:RebootInstances")
        outcome = page.locator(".action-outcome")
        expect(outcome.locator(".missing-permission")).to_have_text("ec2:RebootInstances")
        expect(outcome.locator(".problem-detail")).to_contain_text(
            f"The role {stack.demo_read_only_role_arn} does not allow ec2:RebootInstances"
        )
    finally:
        assert api(stack, "DELETE", f"/connections/{created.json()['id']}").status_code == 204


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
    revoked_before = len(site.revoked)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    [revoked] = site.revoked[revoked_before:]
    assert revoked["token_type_hint"] == "refresh_token" and revoked["client_id"] == stack.resources.client_id
    assert revoked["token"]
    assert site.logouts[-1] == {
        "client_id": stack.resources.client_id,
        "logout_uri": stack.console_url + "/",
    }
    assert page.url == stack.console_url + "/"


def test_a_configuration_without_a_key_says_which(page, site, stack):
    def without_client_id(route: Route) -> None:
        served = route.fetch()
        route.fulfill(response=served, json={k: v for k, v in served.json().items() if k != "clientId"})

    page.route(stack.console_url + "/config.json", without_client_id)
    page.goto(stack.console_url + "/")
    expect(page.get_by_role("alert")).to_have_text("The console's configuration lacks clientId.")


def test_tokens_about_to_expire_are_renewed_with_the_refresh_token(page, site, stack):
    # oidc-client-ts renews 60 s before expiry: the first tokens, said (in the token response only) to last 61 s,
    # are renewed about a second after sign-in, with the pool's real refresh token.
    def first_tokens_last_61_seconds(route: Route) -> None:
        if "grant_type=authorization_code" not in (route.request.post_data or ""):
            route.continue_()  # the renewal itself, and anything later, reaches the managed login untouched
            return
        served = route.fetch()
        route.fulfill(response=served, body=json.dumps({**served.json(), "expires_in": 61}))

    page.route(stack.auth_url + "/oauth2/token", first_tokens_last_61_seconds)
    with page.expect_request(
        lambda request: (
            request.url == stack.auth_url + "/oauth2/token" and "grant_type=refresh_token" in (request.post_data or "")
        ),
        timeout=STEP_TIMEOUT_MS,
    ):
        sign_in(page, site, stack)
    page.unroute_all(behavior="ignoreErrors")
    assert site.token_grants[:2] == ["authorization_code", "refresh_token"]
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

    onboarding = api(stack, "GET", "/onboarding/azure").json()
    federated, _, secret = onboarding["credential_types"]
    credential = federated["federated_credential"]
    expect(page.locator("#application-commands")).to_have_text("\n".join(onboarding["commands"]))
    choice = page.get_by_role("group", name="How Cloudivize signs in")
    expect(choice.get_by_role("radio", name="Federated credential (recommended)")).to_be_checked()
    expect(page.locator("#credential-commands")).to_have_text("\n".join(federated["commands"]))
    expect(page.locator("#federated-issuer")).to_have_text(credential["issuer"])
    expect(page.locator("#federated-subject")).to_have_text(credential["subject"])
    expect(page.locator("#federated-audience")).to_have_text(credential["audience"])
    expect(page.get_by_label("Client secret value")).to_be_hidden()

    choice.get_by_role("radio", name="Client secret").check()
    expect(page.locator("#credential-commands")).to_have_text("\n".join(secret["commands"]))
    expect(page.locator("#federated-audience")).to_have_count(0)
    expect(page.get_by_label("Client secret value")).to_have_attribute("type", "password")
    expect(page.locator("#application-commands")).to_have_text("\n".join(onboarding["commands"]))


def fill_demo_azure(page: Page, stack: StackInfo, name: str) -> None:
    demo = stack.demo_azure
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Directory (tenant) ID").fill(demo["directory_id"])
    page.get_by_label("Application (client) ID").fill(demo["application_id"])
    page.get_by_label("Subscription IDs").fill(demo["subscription_id"])


def delete_connections_named(stack: StackInfo, name: str) -> None:
    for item in api(stack, "GET", "/connections").json()["items"]:
        if item["name"] == name:
            assert api(stack, "DELETE", f"/connections/{item['id']}").status_code == 204


def test_connect_the_demo_azure_federated_see_its_checks_and_its_three_virtual_machines(page, site, stack):
    sign_in(page, site, stack)
    page.get_by_role("link", name="Connect an Azure subscription").click()
    try:
        fill_demo_azure(page, stack, "Demo Azure from the console")
        page.get_by_role("button", name="Connect").click()

        expect(page.get_by_role("heading", name="Demo Azure from the console")).to_be_visible()
        expect(page.locator(".facts")).to_contain_text("Federated (no secret)")
        expect_verified(page, at_least=2)
        page.get_by_label("Type").fill("Microsoft.Compute/virtualMachines")
        page.get_by_role("button", name="List").click()
        rows = page.locator(".assets tbody tr")
        expect(rows).to_have_count(3)
        names, states = rows.locator("td:nth-child(2)").all_inner_texts(), rows.locator(".state").all_inner_texts()
        states = dict(zip(names, states, strict=True))
        assert states == {"web-frontend": "running", "batch-worker": "deallocated", "web-staging": "stopped"}
    finally:
        delete_connections_named(stack, "Demo Azure from the console")


def test_an_azure_certificate_connection_shows_what_to_add_and_rotates(page, site, stack):
    name = "Demo Azure certificate"
    sign_in(page, site, stack)
    page.get_by_role("link", name="Connect an Azure subscription").click()
    try:
        page.get_by_role("radio", name="Certificate", exact=True).check()
        expect(page.get_by_label("Client secret value")).to_be_hidden()
        fill_demo_azure(page, stack, name)
        page.get_by_role("button", name="Connect").click()

        expect(page.get_by_role("heading", name=name)).to_be_visible()
        expect(page.locator(".next-step")).to_have_text(
            "Connection created. Next: add its certificate to your application (the command below), then choose Verify."
        )
        [created] = [item for item in api(stack, "GET", "/connections").json()["items"] if item["name"] == name]
        certificate = api(stack, "GET", f"/connections/{created['id']}").json()["azure"]["certificate"]
        expect(page.locator("#certificate-command")).to_have_text(certificate["command"])
        page.get_by_text("The certificate (PEM)").click()
        expect(page.locator("pre.pem")).to_have_text(certificate["pem"])
        download = page.get_by_role("link", name="Download")
        expect(download).to_have_attribute("download", f"cloudivize-{certificate['thumbprint'][:8].lower()}.pem")
        expect(download).to_have_attribute("href", re.compile(r"^blob:"))

        page.get_by_role("button", name="Rotate certificate").click()

        expect(page.get_by_role("status").filter(has_text="New certificate issued")).to_be_visible()
        rotated = api(stack, "GET", f"/connections/{created['id']}").json()["azure"]
        assert rotated["previous_certificate_thumbprint"] == certificate["thumbprint"]
        expect(page.locator("#certificate-command")).to_have_text(rotated["certificate"]["command"])
        expect(page.locator(".facts")).to_contain_text(certificate["thumbprint"])  # the previous one, still in use
    finally:
        delete_connections_named(stack, name)


def test_an_organization_connection_shows_its_members_syncs_and_lists_every_accounts_assets(page, site, stack):
    organization = stack.demo_organization
    body = {"provider": "aws", "scope": "organization", "name": "Demo organization",
            "role_arn": organization["discovery_role_arn"], "regions": list(DEMO_REGIONS)}  # fmt: skip
    created = api(stack, "POST", "/connections", json=body)
    assert created.status_code == 201, created.text
    try:
        sign_in(page, site, stack)
        rows = page.locator("table.connections tbody tr")
        expect(rows).to_have_count(4)
        kinds = sorted(rows.locator("td:nth-child(2)").all_inner_texts())
        assert kinds == ["AWS (organization member)"] * 3 + ["AWS organization"]

        page.get_by_role("link", name="Demo organization").click()
        expect(page.get_by_role("heading", name="Organization", exact=True)).to_be_visible()
        expect(page.locator(".facts")).to_contain_text(organization["organization_id"])
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator(".sync-outcome")).to_contain_text("3 accounts; added 0, left 0")
        members = page.locator("table.members tbody tr")
        expect(members).to_have_count(3)
        assert sorted(members.locator("td:nth-child(1)").all_inner_texts()) == sorted(
            organization["member_account_ids"]
        )
        expect(members.locator("td:nth-child(3)")).to_have_text(["verified"] * 3)

        page.get_by_label("Type").fill("ec2:instance")
        page.get_by_role("button", name="List").click()
        assets = page.locator(".assets tbody tr")
        expect(assets).to_have_count(12)  # two instances in each of two regions of each of the three members
        assert set(assets.locator("td:nth-child(6)").all_inner_texts()) == set(organization["member_account_ids"])
    finally:
        assert api(stack, "DELETE", f"/connections/{created.json()['id']}").status_code == 204
