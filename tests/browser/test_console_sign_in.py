"""The console as a user meets it on ``make run``: the local stack (a process of its own) serving the console
at ``console_url`` with its managed login at ``auth_url`` and the Login with Amazon stand-in at ``amazon_url``.

Sign up (the code from the stack's output), sign in with Amazon, then the demo user's day: connect the demo
account, see its four instances across two regions, stop one, connect the read-only role and see its stop
denied with the permission it lacks, sign out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import fields

import pytest
from playwright.sync_api import Page, expect

from infrastructure.local.launch import LaunchedStack, running_local_stack
from infrastructure.local.stack_info import StackInfo

pytestmark = pytest.mark.browser

if "console_url" not in {field.name for field in fields(StackInfo)}:
    pytest.skip("this local stack serves no console and no managed login yet", allow_module_level=True)

PASSWORD = "Console-Signup-Passw0rd!"
VERIFICATION_CODE = re.compile(r"Verification code for (?P<email>\S+): (?P<code>\d{6})")


@pytest.fixture(scope="module")
def launched(console_dist) -> Iterator[LaunchedStack]:
    with running_local_stack() as stack:
        yield stack


@pytest.fixture(scope="module")
def info(launched) -> StackInfo:
    assert launched.info is not None
    return launched.info


def verification_code(stack: LaunchedStack, email: str) -> str:
    codes = [found["code"] for found in VERIFICATION_CODE.finditer(stack.output()) if found["email"] == email]
    assert len(codes) == 1, f"expected one verification code for {email} in the stack's output"
    return codes[0]


def sign_in_at_the_managed_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()


def test_sign_up_then_sign_in_as_a_local_user(page, launched, info):
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(info.console_url + "/")
    page.get_by_role("button", name="Create an account").click()

    page.wait_for_url(info.auth_url + "/signup**")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"sign up", re.I)).click()
    page.get_by_label(re.compile(r"code", re.I)).fill(verification_code(launched, email))
    page.get_by_role("button", name=re.compile(r"confirm", re.I)).click()

    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text(email)
    expect(whoami).to_contain_text("sign-in: local")
    expect(whoami).to_contain_text("role: owner")  # the post-confirmation trigger made the user's organization
    assert page.url == info.console_url + "/"


def test_sign_in_with_amazon_through_the_stand_in(page, info):
    page.goto(info.console_url + "/")
    page.get_by_role("button", name="Continue with Amazon").click()

    page.wait_for_url(info.amazon_url + "/**")
    page.get_by_role("button", name=re.compile(r"^continue as", re.I)).first.click()

    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text("sign-in: amazon")
    expect(whoami).to_contain_text("role: owner")


def test_the_demo_user_connects_the_demo_account_sees_four_instances_stops_one_and_signs_out(page, info):
    page.goto(info.console_url + "/")
    page.get_by_role("button", name="Sign in").click()
    sign_in_at_the_managed_login(page, info.demo_username, info.demo_password)
    expect(page.get_by_test_id("whoami")).to_contain_text(info.demo_username)

    page.get_by_role("link", name="Connect an AWS account").click()
    page.get_by_label("Name", exact=True).fill("Demo")
    page.get_by_label("Role ARN").fill(info.demo_role_arn)
    page.get_by_label("Regions").fill("us-east-1, eu-west-1")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator(".verified")).to_have_text("Verified: Cloudivize can use this connection.")
    page.get_by_label("Type").fill("ec2:instance")
    page.get_by_role("button", name="List").click()
    rows = page.locator(".assets tbody tr")
    expect(rows.locator("td:nth-child(5)")).to_have_text(["eu-west-1", "eu-west-1", "us-east-1", "us-east-1"])

    rows.first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Stop").click()
    expect(rows.first.locator(".result")).to_have_text("stop: ok (stopping)")

    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect an AWS account").click()
    page.get_by_label("Name", exact=True).fill("Read-only")
    page.get_by_label("Role ARN").fill(info.demo_read_only_role_arn)
    page.get_by_label("Regions").fill("us-east-1")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Read-only")).to_be_visible()
    page.get_by_label("Type").fill("ec2:instance")
    page.get_by_role("button", name="List").click()
    expect(rows).to_have_count(2)
    running = rows.filter(has=page.locator(".state", has_text="running")).first
    running.get_by_role("checkbox").check()
    page.get_by_role("button", name="Stop").click()
    expect(running.locator(".result")).to_have_text("stop: denied: needs ec2:StopInstances")
    expect(page.locator(".action-outcome .missing-permission")).to_have_text("ec2:StopInstances")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.url == info.console_url + "/"
    # The managed login's session ended too: signing in again asks for the password.
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(info.auth_url + "/**")
    expect(page.get_by_label("Password")).to_be_visible()
