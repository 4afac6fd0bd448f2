"""The info file: what a running local stack tells the CLI, the tests and frontends."""

from __future__ import annotations

import json
import re
import stat

import pytest

from infrastructure.local.run import banner
from infrastructure.local.stack_info import StackInfo, StackNotFound, read_stack_info
from tests.unit.test_local_lambda_runtime import RESOURCES

INFO = StackInfo(
    "http://127.0.0.1:3000",
    RESOURCES,
    "demo@cloudivize.local",
    "Demo-Passw0rd!",
    demo_role_arn="arn:aws:iam::210987654321:role/CloudivizeAccess",
    demo_customer_account_id="210987654321",
    auth_url="http://127.0.0.1:8331",
    oauth_redirect_uri="http://127.0.0.1:8333/auth/callback",
    console_url="http://127.0.0.1:8333",
    amazon_url="http://127.0.0.1:8332",
    demo_read_only_role_arn="arn:aws:iam::210987654321:role/CloudivizeReadOnly",
    demo_organization={
        "management_account_id": "310987654321",
        "discovery_role_arn": "arn:aws:iam::310987654321:role/CloudivizeOrganizationDiscovery",
        "member_account_ids": ["111111111111", "222222222222", "333333333333"],
        "organization_id": "o-abcdefghij",
    },
)
DESIGN_KEYS = {"api_url", "aws_endpoint_url", "region", "user_pool_id", "client_id", "demo_username", "demo_password"}


def test_the_file_has_the_documented_flat_keys_and_reads_back(tmp_path):
    path = tmp_path / "stack.json"

    INFO.write(path)

    data = json.loads(path.read_text())
    assert DESIGN_KEYS | {"table_name", "field_key_arn", "table_key_arn", "demo_role_arn", "web_identity_issuer"} <= (
        data.keys()
    )
    assert data["web_identity_issuer"] == RESOURCES.web_identity_issuer
    assert read_stack_info(path) == INFO


def test_only_the_owner_can_read_the_demo_password_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "stack.json"

    INFO.write(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["stack.json"]


@pytest.mark.parametrize("content", [None, "not json", "{}"])
def test_a_missing_or_foreign_file_says_how_to_start_the_stack(tmp_path, content):
    path = tmp_path / "stack.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(StackNotFound):
        read_stack_info(path)


def test_the_banner_shows_the_demo_role_and_how_to_connect_it_and_list_its_assets(tmp_path):
    text = banner(INFO, tmp_path / "stack.json")

    assert INFO.demo_role_arn in text and INFO.demo_customer_account_id in text
    [account, _organization] = re.findall(r"-d '(\{.*\})'", text)  # the account first, then the organization
    assert json.loads(account) == {
        "provider": "aws",
        "name": "Demo",
        "role_arn": INFO.demo_role_arn,
        "regions": ["us-east-1", "eu-west-1"],
    }
    assert f"{INFO.api_url}/connections \\" in text
    assert f'"{INFO.api_url}/connections/$CONNECTION/assets?type=ec2:instance"' in text


def test_the_info_file_and_the_banner_name_the_console_and_the_managed_login(tmp_path):
    path = tmp_path / "stack.json"
    INFO.write(path)

    data = json.loads(path.read_text())
    text = banner(INFO, path)

    assert {key: data[key] for key in ("auth_url", "oauth_redirect_uri", "console_url", "amazon_url")} == {
        "auth_url": "http://127.0.0.1:8331",
        "oauth_redirect_uri": "http://127.0.0.1:8333/auth/callback",
        "console_url": "http://127.0.0.1:8333",
        "amazon_url": "http://127.0.0.1:8332",
    }
    assert text.index("Open http://127.0.0.1:8333 and sign in as demo@cloudivize.local") < text.index("API ")
    assert "Managed login  http://127.0.0.1:8331" in text


def test_the_read_only_demo_role_is_in_the_file_and_the_banner_says_what_it_shows(tmp_path):
    path = tmp_path / "stack.json"

    INFO.write(path)
    text = banner(INFO, path)

    assert json.loads(path.read_text())["demo_read_only_role_arn"] == INFO.demo_read_only_role_arn
    assert f"  Read-only role {INFO.demo_read_only_role_arn}   (connect it to see a denied action)\n" in text


def test_the_demo_organization_is_in_the_file_and_the_banner_connects_it_with_the_discovery_role(tmp_path):
    path = tmp_path / "stack.json"

    INFO.write(path)
    text = banner(INFO, path)

    assert json.loads(path.read_text())["demo_organization"] == INFO.demo_organization
    [connect] = [line for line in text.splitlines() if '"scope":"organization"' in line]
    [body] = re.findall(r"-d '(\{.*\})'", connect)
    assert json.loads(body) == {
        "provider": "aws",
        "scope": "organization",
        "name": "Demo organization",
        "role_arn": "arn:aws:iam::310987654321:role/CloudivizeOrganizationDiscovery",
    }
    assert connect.startswith(
        f'  curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" {INFO.api_url}/connections '
    )
    assert "(management account 310987654321, 3 member accounts: a connection for each)" in text


def test_an_info_file_without_a_demo_organization_reads_back_and_its_banner_offers_none(tmp_path):
    path = tmp_path / "stack.json"
    data = INFO.to_json()
    del data["demo_organization"]
    path.write_text(json.dumps(data))

    info = read_stack_info(path)

    assert info.demo_organization is None
    assert '"scope":"organization"' not in banner(info, path)
