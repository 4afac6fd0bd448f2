"""AWS's permission check for the sessions of customers' roles, which moto leaves out.

Why: moto lets any credentials call anything, so a read-only customer role could still stop an instance and a
newcomer (or the console's end-to-end test) could never see what Cloudivize answers when a customer's role lacks
a permission. In AWS every call made with a role's session is authorized against that role's policies. So, while
``permission_policies_enforced`` is active (the emulator's process, ``emulator_process``), a call signed with the
temporary credentials of a role assumed in a *customer* account (any account but the emulator's own, the
accounts ``trust_enforcement`` treats as customers) is authorized with moto's own IAM evaluation
(``moto.iam.access_control``, which moto runs for every request only once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests are spent): the role's inline and attached policies, an explicit Deny wins, else an Allow whose action
(wildcards) and resource match, else denied. The session token must be the session's (moto's
``AssumedRoleAccessKey``); the signature is not checked again (moto's check miscomputes the canonical form of some
REST requests, e.g. Lambda's ListFunctions).

The resource is what moto determines (an IAM role's ARN for role operations, an S3 bucket's ARN), and for EC2
each instance the call names (``InstanceId.N``, ``ResourceId.N``), as AWS authorizes each one.

The refusal is the service's own: EC2 ``UnauthorizedOperation``, JSON services ``AccessDeniedException``, query
services ``AccessDenied`` (S3: moto's ``AccessDenied``), all HTTP 403, with AWS's message: "User: <assumed-role
ARN> is not authorized to perform: <action> on resource: <arn> because no identity-based policy allows the
<action> action" (or "with an explicit deny in an identity-based policy").

What moto's evaluation does not understand errs on the side of refusing: a statement with a ``Condition`` is
evaluated without request context, so it never grants (and a Deny with one always applies). ``NotResource`` is
not understood by moto and is not used by any role Cloudivize asks for.

Everything else stays as moto has it: the emulator's own account (the stack, its functions, Cloudivize's
customer-access role), IAM users' keys, and ``OrganizationAccountAccessRole``, which ``customer_account`` assumes
to seed a customer account and which AWS Organizations creates with AdministratorAccess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.utils import get_service_model
from moto.iam.access_control import IAMPolicy, IAMRequest, PermissionResult, S3IAMRequest
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException
from xmltodict import unparse

from infrastructure.local.aws.replaced import replaced
from infrastructure.local.aws.trust_enforcement import ORGANIZATION_ACCESS_ROLE

ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})  # AWS answers it even under an explicit Deny
# Moto names an action by the service's signing name; IAM by its own prefix where the two differ.
IAM_PREFIXES = {"tagging": "tag"}
# The EC2 parameters that name instances, each authorized as arn:…:instance/<id>.
_EC2_INSTANCE_PARAMETER = re.compile(r"^(InstanceId|ResourceId)\.\d+$")
EC2_REFUSAL = "You are not authorized to perform this operation. "  # EC2 puts it before the reason
_NO_ALLOW = "because no identity-based policy allows the {action} action"
_EXPLICIT_DENY = "with an explicit deny in an identity-based policy"


class PermissionDenied(HTTPException):
    """The service's own refusal, in its protocol's shape (moto answers an HTTPException's body as it is)."""

    code = 403

    def __init__(self, protocol: str, user_arn: str, action: str, resource: str, reason: str) -> None:
        on_resource = "" if resource == "*" else f" on resource: {resource}"
        message = f"User: {user_arn} is not authorized to perform: {action}{on_resource} {reason}"
        as_json = "json" in protocol  # json, rest-json, query-json: the protocol moto answers this request in
        if protocol == "ec2":
            error_code, message = "UnauthorizedOperation", EC2_REFUSAL + message
        else:
            error_code = "AccessDeniedException" if as_json else "AccessDenied"
        if as_json:
            body = json.dumps({"__type": error_code, "message": message})
        else:  # ec2, query: the error document botocore's XML parsers read (moto's own errors use it)
            body = unparse({"ErrorResponse": {"Errors": {"Error": {"Code": error_code, "Message": message}}}})
        super().__init__(description=body)
        self.error_code, self.message = error_code, message


class CustomerRoleRequest(IAMRequest):
    """One request signed with a customer role's session, authorized by moto's ``IAMPolicy`` over the role's
    policies; only the refusal differs from moto's (the service's code, the resource and the reason named)."""

    def __init__(self, *, protocol: str, **request: Any) -> None:
        super().__init__(**request)
        service, _, operation = self._action.partition(":")
        self._action = f"{IAM_PREFIXES.get(service, service)}:{operation}"
        self._protocol = protocol

    def check_action_permitted(self, resource: str) -> None:
        if self._action in ALWAYS_ALLOWED:
            return
        try:
            policies = self._access_key.collect_policies()
        except NotFoundException:  # the role was deleted: its sessions are allowed nothing
            policies = []
        verdicts = {IAMPolicy(policy).is_action_permitted(self._action, resource) for policy in policies}
        if PermissionResult.DENIED in verdicts:
            self._refuse(resource, _EXPLICIT_DENY)
        if PermissionResult.PERMITTED not in verdicts:
            self._refuse(resource, _NO_ALLOW.format(action=self._action))

    def _refuse(self, resource: str, reason: str) -> None:
        raise PermissionDenied(self._protocol, self._access_key.arn, self._action, resource, reason)


def is_customer_role_session(response: Any, own_account_id: str) -> bool:
    """Whether the request is signed with the session of a role assumed in a customer account (one that
    exists: ``OrganizationAccountAccessRole`` is the customer's administrator until a customer creates one)."""
    account, partition = response.current_account, response.partition
    if account == own_account_id or "X-Amz-Security-Token" not in response.headers:
        return False
    assumed = sts_backends[account][partition].get_assumed_role_from_access_key(response.access_key)
    if assumed is None:
        return False
    if assumed.role_arn.rsplit("/", 1)[-1] == ORGANIZATION_ACCESS_ROLE:
        try:
            iam_backends[account][partition].get_role_by_arn(assumed.role_arn)
        except NotFoundException:
            return False
    return True


def resources_of(response: Any, resource: str) -> list[str]:
    """What AWS authorizes the call on: moto's resource, or for EC2 each instance the call names."""
    if resource != "*" or response.service_name != "ec2":
        return [resource]
    instances = sorted(
        (key, values[0])
        for key, values in response.querystring.items()
        if _EC2_INSTANCE_PARAMETER.match(key) and values and values[0].startswith("i-")
    )
    arn = f"arn:{response.partition}:ec2:{response.region}:{response.current_account}:instance/"
    return [arn + instance_id for _, instance_id in instances] or [resource]


def authorize(response: Any, iam_request_cls: type[IAMRequest] | type[S3IAMRequest], resource: str) -> None:
    """Moto's ``_authenticate_and_authorize_action`` once its request count is spent, for one request."""
    path = response.raw_path
    if query := response.uri.partition("?")[2]:
        path += "?" + query
    request: IAMRequest | S3IAMRequest
    arguments: dict[str, Any] = dict(
        account_id=response.current_account,
        method=response.method,
        path=path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response._get_action(),
    )
    if issubclass(iam_request_cls, S3IAMRequest):
        request = S3IAMRequest(**arguments)  # moto's own S3 refusals
    else:
        protocol = response.determine_response_protocol(get_service_model(response.boto3_service_name))
        request = CustomerRoleRequest(protocol=protocol, **arguments)
    for each in resources_of(response, resource):
        request.check_action_permitted(each)


@contextmanager
def permission_policies_enforced(own_account_id: str) -> Iterator[None]:
    """Authorize customer roles' sessions in this process's moto server until the block ends."""
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if is_customer_role_session(self, own_account_id):
            authorize(self, iam_request_cls, resource)
        else:
            original(self, iam_request_cls, resource)

    with replaced(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", authenticate_and_authorize):
        yield
