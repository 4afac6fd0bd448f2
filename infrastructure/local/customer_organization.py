"""A "customer" AWS organization inside the emulator: what the organization template creates, and member accounts
with assets. The local stack seeds one for the demo tenant; tests seed their own and change them.

The management account holds the organization (all features) and the discovery role: the trust policy GET
/onboarding/aws answers, and the one inline policy of the organization template's ``CloudivizeDiscoveryRole``, read
from the template file, so its session may call exactly what a customer's real discovery role allows and is refused
the rest (``permission_enforcement``). The management account gets no customer role, the template's default
(``IncludeManagementAccount`` "false").

In AWS the template's service-managed StackSet creates the customer role in each member account. Moto cannot run a
StackSet, so each member's role is created directly, from the customer template as the StackSet deploys it
(``customer_account.seed_customer_account``: ``CloudivizeAccess``, operations allowed, the same trust), beside a few
instances in two regions.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3

from infrastructure import constants
from infrastructure.local.aws.emulator import DEFAULT_REGION, DUMMY_CREDENTIALS
from infrastructure.local.customer_account import (
    ACCOUNT_ADMIN_ROLE,
    DEMO_ROLE_NAME,
    CustomerAccount,
    account_session,
    deployed_policy,
    new_session,
    read_template,
    seed_customer_account,
)

DEMO_MANAGEMENT_ACCOUNT_ID = "310987654321"
DEMO_MEMBER_NAMES = ("Demo member 1", "Demo member 2", "Demo member 3")
DISCOVERY_ROLE_RESOURCE = "CloudivizeDiscoveryRole"  # the organization template's logical id of the role
DISCOVERY_ROLE_NAME_PARAMETER = "DiscoveryRoleName"
# Moto's own header naming the account a request acts as: without a session token, as that account's root user.
_MOTO_ACCOUNT_HEADER = "x-moto-account-id"
_NOT_IN_EMAIL = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class DemoOrganization:
    organization_id: str
    management_account_id: str
    discovery_role_arn: str
    member_account_ids: list[str]  # in the order they were created
    members: dict[str, CustomerAccount]  # account id -> its customer role and assets

    def as_info(self) -> dict[str, Any]:
        """What the info file's ``demo_organization`` holds."""
        return {
            "management_account_id": self.management_account_id,
            "discovery_role_arn": self.discovery_role_arn,
            "member_account_ids": list(self.member_account_ids),
            "organization_id": self.organization_id,
        }


def seed_organization(
    endpoint_url: str,
    *,
    external_id: str,
    principal: str,
    management_account_id: str = DEMO_MANAGEMENT_ACCOUNT_ID,
    member_names: tuple[str, ...] = DEMO_MEMBER_NAMES,
) -> DemoOrganization:
    """The organization, its discovery role trusting ``principal`` with ``external_id``, and one member account per
    name, each with the customer role (same trust) and its instances; the members are seeded concurrently."""
    trust = _trust(principal, external_id)
    management = account_session(management_account_id, endpoint_url=endpoint_url)
    organizations = management.client("organizations", endpoint_url=endpoint_url)
    organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    discovery_role_arn = _create_discovery_role(management, endpoint_url, trust)
    # Created one after another (moto's organization is a list it appends to), then seeded side by side.
    account_ids = [_create_member_account(organizations, endpoint_url, name) for name in member_names]
    with ThreadPoolExecutor(max_workers=len(account_ids) or 1, thread_name_prefix="seed-member") as seeding:
        members = list(seeding.map(lambda account_id: _seed_member(endpoint_url, account_id, trust), account_ids))
    return DemoOrganization(
        organization_id=organization_id,
        management_account_id=management_account_id,
        discovery_role_arn=discovery_role_arn,
        member_account_ids=account_ids,
        members={member.account_id: member for member in members},
    )


def add_member_account(
    endpoint_url: str, organization: DemoOrganization, external_id: str, name: str, principal: str
) -> CustomerAccount:
    """A new member account (CreateAccount), with the customer role and instances as the StackSet's
    auto-deployment would give it."""
    account_id = _create_member_account(_organizations(endpoint_url, organization), endpoint_url, name)
    return _seed_member(endpoint_url, account_id, _trust(principal, external_id))


def add_member_account_without_role(endpoint_url: str, organization: DemoOrganization, name: str) -> str:
    """A new member account the StackSet has not reached (outside its OUs, or not deployed yet): its id."""
    return _create_member_account(_organizations(endpoint_url, organization), endpoint_url, name)


def remove_member_account(endpoint_url: str, organization: DemoOrganization, account_id: str) -> None:
    """The account leaves the organization (RemoveAccountFromOrganization); its role and assets stay."""
    _organizations(endpoint_url, organization).remove_account_from_organization(AccountId=account_id)


def suspend_member_account(endpoint_url: str, organization: DemoOrganization, account_id: str) -> None:
    """The account is closed (CloseAccount): it stays in the organization, SUSPENDED."""
    _organizations(endpoint_url, organization).close_account(AccountId=account_id)


def discovery_role_template() -> tuple[str, dict[str, Any]]:
    """The discovery role's default name (the template parameter's) and its inline policy, as the template has it."""
    template = read_template(constants.ORGANIZATION_TEMPLATE)
    name = template["Parameters"][DISCOVERY_ROLE_NAME_PARAMETER]["Default"]
    return name, template["Resources"][DISCOVERY_ROLE_RESOURCE]["Properties"]["Policies"][0]


def _create_discovery_role(management: boto3.Session, endpoint_url: str, trust: dict[str, Any]) -> str:
    role_name, policy = discovery_role_template()
    iam = management.client("iam", endpoint_url=endpoint_url)
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    document = deployed_policy(policy["PolicyDocument"], role_arn, role_name_parameter=DISCOVERY_ROLE_NAME_PARAMETER)
    iam.put_role_policy(RoleName=role_name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document))
    return role_arn


def _create_member_account(organizations: Any, endpoint_url: str, name: str) -> str:
    email = f"aws-{_NOT_IN_EMAIL.sub('-', name.lower()).strip('-')}@demo.cloudivize.local"
    status = organizations.create_account(AccountName=name, Email=email)["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":  # AWS creates accounts asynchronously; moto at once
        raise RuntimeError(f"The emulator did not create the member account {name!r}: {status}")
    account_id = status["AccountId"]
    _open_to_seeding(endpoint_url, account_id)
    return account_id


def _open_to_seeding(endpoint_url: str, account_id: str) -> None:
    """Moto gives each account it creates an ``OrganizationAccountAccessRole`` trusting the management account with
    no policy (AWS attaches AdministratorAccess), whose sessions would be allowed nothing. Its root user deletes it,
    so that the member is seeded and reached as every "customer" account in the emulator is (``account_session``;
    ``trust_enforcement`` treats that role, when missing, as the emulator's own account's administrator)."""
    iam = new_session(region_name=DEFAULT_REGION, **DUMMY_CREDENTIALS).client("iam", endpoint_url=endpoint_url)

    def as_root(request: Any, **_: Any) -> None:
        request.headers[_MOTO_ACCOUNT_HEADER] = account_id

    iam.meta.events.register("before-sign.iam.*", as_root)
    iam.delete_role(RoleName=ACCOUNT_ADMIN_ROLE)


def _seed_member(endpoint_url: str, account_id: str, trust: dict[str, Any]) -> CustomerAccount:
    return seed_customer_account(
        trust_policy=trust,
        account_id=account_id,
        role_name=DEMO_ROLE_NAME,
        allow_operations=True,
        endpoint_url=endpoint_url,
    )


def _organizations(endpoint_url: str, organization: DemoOrganization) -> Any:
    """Organizations as the management account's administrator calls it."""
    management = account_session(organization.management_account_id, endpoint_url=endpoint_url)
    return management.client("organizations", endpoint_url=endpoint_url)


def _trust(principal: str, external_id: str) -> dict[str, Any]:
    # Layer modules load Powertools, which must see the handler environment first: imported on use.
    from cloudivize.aws_access.onboarding import trust_policy

    return trust_policy(principal, external_id)
