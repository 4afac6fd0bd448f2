"""Verification of an AWS connection: can Cloudivize connect, is the trust safe, what may it view and operate."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from cloudivize.aws_access import SESSION_NAME
from cloudivize.aws_access.access import home_region
from cloudivize.aws_access.failures import THROTTLED_CODES, error_code, is_denied, throttled
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.aws_access.trust import audit_trust_policy
from cloudivize.errors import Unprocessable
from cloudivize.models.connections import Check, Verification

OPERATE_ACTIONS = ("ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances")
_PLACEHOLDER_INSTANCE = "i-0123456789abcdef0"  # DryRun checks permission before the id exists


def verify_aws(
    open_session: Callable[[], CustomerSession],
    *,
    role_arn: str,
    regions: list[str] | None,
    principal_arn: str | None,
    external_id: str,
) -> Verification:
    """Named checks of the role ``role_arn``, reached through ``open_session`` (AssumeRole as Cloudivize)."""
    return verify_role(
        open_session,
        role_arn=role_arn,
        region=(regions or [home_region(role_arn)])[0],
        principal_arn=principal_arn,
        external_id=external_id,
        capabilities=_view_and_operate,
    )


def verify_role(
    open_session: Callable[[], CustomerSession],
    *,
    role_arn: str,
    region: str,
    principal_arn: str | None,
    external_id: str,
    capabilities: Callable[[CustomerSession, str, str], list[Check]],
) -> Verification:
    """The checks every role Cloudivize uses must pass (assumable, its CloudTrail session, a trust policy of
    Cloudivize alone with the External ID), then what this kind of role is for (``capabilities``)."""
    try:
        session = open_session()
    except Unprocessable as refused:
        return Verification(ok=False, checks=[Check(name="role_assumable", ok=False, detail=refused.detail)])
    checks = [
        Check(name="role_assumable", ok=True, detail=f"Cloudivize assumed {role_arn} with your External ID."),
        _cloudtrail_session(session, region),
        _trust_policy(session, role_arn, region, principal_arn=principal_arn, external_id=external_id),
        _source_identity(session),
        *capabilities(session, role_arn, region),
    ]
    return Verification(ok=all(check.ok for check in checks if check.required), checks=checks)


def guard(error: ClientError) -> None:
    """A throttled check is a 503 (retry), not a failed check."""
    if error_code(error) in THROTTLED_CODES:
        raise throttled() from None


def _cloudtrail_session(session: CustomerSession, region: str) -> Check:
    try:
        arn = session.client("sts", region).get_caller_identity()["Arn"]
    except ClientError as error:
        guard(error)
        return Check(name="cloudtrail_session", ok=False, detail=f"GetCallerIdentity failed ({error_code(error)}).")
    ok = arn.endswith(f"/{SESSION_NAME}")
    return Check(
        name="cloudtrail_session",
        ok=ok,
        detail=f"Cloudivize's calls appear in your CloudTrail as {arn}."
        if ok
        else f"Unexpected session {arn}; expected a session named {SESSION_NAME}.",
    )


def _trust_policy(
    session: CustomerSession, role_arn: str, region: str, *, principal_arn: str | None, external_id: str
) -> Check:
    role_name = role_arn.rsplit("/", 1)[-1]
    try:
        document = session.client("iam", region).get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    except ClientError as error:
        guard(error)
        return Check(
            name="trust_policy",
            ok=False,
            detail=f"Cloudivize cannot read the role's trust policy ({error_code(error)}). Grant iam:GetRole on "
            f"{role_arn} itself so Cloudivize can confirm only it can use the role.",
        )
    if principal_arn is None:
        return Check(name="trust_policy", ok=False, detail="Cloudivize's principal is not configured (operator error).")
    findings = audit_trust_policy(document, principal_arn, external_id)
    return Check(name="trust_policy", ok=all(f.ok for f in findings), detail=" ".join(f.detail for f in findings))


def _source_identity(session: CustomerSession) -> Check:
    if session.source_identity:
        detail = f"CloudTrail also records which Cloudivize user acted (SourceIdentity {session.source_identity})."
    else:
        detail = (
            "Allow sts:SetSourceIdentity for Cloudivize's principal in the trust policy to see in CloudTrail "
            "which Cloudivize user acted."
        )
    return Check(name="source_identity", ok=session.source_identity is not None, detail=detail, required=False)


def _view_and_operate(session: CustomerSession, role_arn: str, region: str) -> list[Check]:
    ec2 = session.client("ec2", region)
    try:
        reservations = ec2.describe_instances(MaxResults=5)["Reservations"]
    except ClientError as error:
        guard(error)
        return [
            Check(
                name="can_view",
                ok=False,
                detail=f"The role cannot list EC2 instances in {region} ({error_code(error)}). "
                "Grant the view permissions of the Cloudivize template.",
            )
        ]
    instances = [i["InstanceId"] for r in reservations for i in r["Instances"]]
    view = Check(name="can_view", ok=True, detail=f"Cloudivize can view your assets (checked in {region}).")
    allowed, denied = [], []
    for action, call in (
        ("ec2:StartInstances", ec2.start_instances),
        ("ec2:StopInstances", ec2.stop_instances),
        ("ec2:RebootInstances", ec2.reboot_instances),
    ):
        try:
            call(InstanceIds=instances[:1] or [_PLACEHOLDER_INSTANCE], DryRun=True)
            allowed.append(action)  # pragma: no cover - AWS always answers a DryRun with an error
        except ClientError as error:
            guard(error)
            (denied if is_denied(error) else allowed).append(action)  # DryRunOperation = would have succeeded
    operate = Check(
        name="can_operate",
        ok=not denied,
        required=False,
        detail=f"Cloudivize may {', '.join(allowed)}."
        if not denied
        else f"Read-only for {', '.join(denied)}: grant them to {role_arn} to operate from Cloudivize.",
    )
    return [view, operate]
