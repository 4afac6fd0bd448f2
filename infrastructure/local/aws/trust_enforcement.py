"""AWS's trust-policy check on ``sts:AssumeRole``, which moto leaves out.

Why: moto lets any caller assume any role, even one that does not exist, and ignores ``ExternalId`` and
``SourceIdentity``. In AWS a customer's role refuses Cloudivize unless its trust policy names Cloudivize's
principal and requires the tenant's External ID. That refusal is the confused-deputy defence (docs/architecture.md):
without it the local stack would connect any tenant to any tenant's role, and a test of a mismatched External
ID would prove nothing. So, while ``trust_policies_enforced`` is active (the emulator's process,
``emulator_process``; the unit tests of this module), AssumeRole of a role in another account than the
emulator's own is checked as AWS checks it, for the parts Cloudivize relies on:

- the role must exist;
- an Allow statement for ``sts:AssumeRole`` must name the caller: its role (or assumed-role session) ARN,
  its account (``arn:aws:iam::ACCOUNT:root`` or the bare id: any principal of that account), or ``*``;
- the statement's conditions must hold. Only ``StringEquals`` on ``sts:ExternalId`` is understood;
- with a ``SourceIdentity`` the policy must also allow ``sts:SetSourceIdentity``, with session tags
  ``sts:TagSession``;
- a matching Deny statement wins. What the check does not understand (another condition, ``NotPrincipal``,
  ``NotAction``) never grants and always denies: the emulator may refuse more than AWS, never less.

The refusal is AWS's: ``AccessDenied`` (HTTP 403), "User: <caller> is not authorized to perform:
sts:AssumeRole on resource: <role>".

Roles of the emulator's own account (Cloudivize's customer-access role) stay as moto has them: deployed, the
functions' roles are trusted by it, and locally the functions run as the account itself. Moto's
``OrganizationAccountAccessRole``, which ``customer_account`` assumes to seed a customer account, is
treated as AWS Organizations creates it in a member account: trusting the management account, here the
emulator's own account.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from infrastructure.local.aws.replaced import replaced

ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"
_ROLE_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class Caller:
    """Who signed the AssumeRole request, as trust policies name principals."""

    account_id: str
    partition: str
    arns: tuple[str, ...]  # the first is what AWS names in a refusal

    def is_named_by(self, principal: str) -> bool:
        root = f"arn:{self.partition}:iam::{self.account_id}:root"
        return principal in ("*", self.account_id, root, *self.arns)


def caller_of(response: TokenResponse) -> Caller:
    """The principal behind the request's access key: an assumed-role session, an IAM user or the account."""
    account, partition, key = response.current_account, response.partition, response.access_key
    assumed = sts_backends[account][partition].get_assumed_role_from_access_key(key)
    if assumed is not None:
        return Caller(account, partition, (assumed.arn, assumed.role_arn))
    user = iam_backends[account][partition].get_user_from_access_key_id(key)
    return Caller(account, partition, (user.arn,) if user else (f"arn:{partition}:iam::{account}:root",))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _understood(statement: dict[str, Any]) -> bool:
    if {"NotPrincipal", "NotAction"} & statement.keys():
        return False
    return all(
        operator == "StringEquals" and key.lower() == "sts:externalid"
        for operator, keys in (statement.get("Condition") or {}).items()
        for key in keys
    )


def _applies(statement: dict[str, Any], caller: Caller, action: str, external_id: str | None) -> bool:
    """Whether the statement covers this caller, action and External ID (assuming it is understood)."""
    if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _as_list(statement.get("Action"))):
        return False
    principal = statement.get("Principal")
    named = ["*"] if principal == "*" else _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    if not any(caller.is_named_by(str(p)) for p in named):
        return False
    for keys in (statement.get("Condition") or {}).values():
        for values in keys.values():
            if external_id is None or external_id not in [str(v) for v in _as_list(values)]:
                return False
    return True


def allows(policy: dict[str, Any], caller: Caller, action: str, external_id: str | None) -> bool:
    """AWS's verdict on one action: some Allow applies and no Deny does (a Deny not understood applies)."""
    allowed = False
    for statement in _as_list(policy.get("Statement")):
        understood = _understood(statement)
        if statement.get("Effect") == "Deny" and (not understood or _applies(statement, caller, action, external_id)):
            return False
        if statement.get("Effect") == "Allow" and understood and _applies(statement, caller, action, external_id):
            allowed = True
    return allowed


def _trust_policy(role_arn: str, account_id: str, partition: str, own_account_id: str) -> dict[str, Any] | None:
    """The role's trust policy, or None when the role does not exist."""
    try:
        document = iam_backends[account_id][partition].get_role_by_arn(role_arn).assume_role_policy_document
    except NotFoundException:
        if role_arn.endswith(f":role/{ORGANIZATION_ACCESS_ROLE}"):
            root = f"arn:{partition}:iam::{own_account_id}:root"
            return {"Statement": [{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}]}
        return None
    try:
        return json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return None


def check_assume_role(response: TokenResponse, own_account_id: str) -> None:
    """Raise AWS's AccessDenied when the target role's trust policy does not let the caller in."""
    role_arn = response._get_param("RoleArn") or ""
    target = _ROLE_ARN.match(role_arn)
    if target is None or target["account"] == own_account_id:
        return  # moto validates the ARN itself; the emulator's own roles stay unchecked
    caller = caller_of(response)
    external_id = response._get_param("ExternalId")
    needed = ["sts:AssumeRole"]
    if response._get_param("SourceIdentity"):
        needed.append("sts:SetSourceIdentity")
    if response._get_param("Tags"):
        needed.append("sts:TagSession")
    policy = _trust_policy(role_arn, target["account"], target["partition"], own_account_id)
    if policy is None or not all(allows(policy, caller, action, external_id) for action in needed):
        raise AccessDeniedError(caller.arns[0], f"sts:AssumeRole on resource: {role_arn}")


@contextmanager
def trust_policies_enforced(own_account_id: str) -> Iterator[None]:
    """Check trust policies on AssumeRole in this process (moto server or ``mock_aws``) until the block ends."""
    original = TokenResponse.assume_role

    def assume_role(self: TokenResponse) -> Any:
        check_assume_role(self, own_account_id)
        return original(self)

    with replaced(TokenResponse, "assume_role", assume_role):
        yield
