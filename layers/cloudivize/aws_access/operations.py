"""Operating on a customer's AWS assets: EC2 start/stop/reboot and tagging, with a result per asset.

Cloudivize acts with exactly what the customer's role allows: a denied action answers 403 naming the IAM
action to grant, and works as soon as the customer grants it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from botocore.exceptions import ClientError

from cloudivize.aws_access.failures import THROTTLED_CODES, denied, error_code, is_denied, throttled
from cloudivize.aws_access.sessions import CustomerSession
from cloudivize.errors import Unprocessable
from cloudivize.models.assets import ActionRequest, ActionResponse, ActionResult
from cloudivize.models.fields import known_aws_regions

INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
INSTANCE_ARN = re.compile(r"^arn:[\w-]+:ec2:(?P<region>[\w-]+):\d{12}:instance/(?P<id>i-[0-9a-f]{8,17})$")
ANY_ARN = re.compile(r"^arn:[\w-]+:[\w-]+:(?P<region>[\w-]*):\d{0,12}:.+$")

POWER_ACTIONS = {  # action -> (EC2 API, the IAM action it needs, response key)
    "start": ("start_instances", "ec2:StartInstances", "StartingInstances"),
    "stop": ("stop_instances", "ec2:StopInstances", "StoppingInstances"),
    "reboot": ("reboot_instances", "ec2:RebootInstances", None),
}
TAG_PERMISSIONS = {"tag": ("ec2:CreateTags", "tag:TagResources"), "untag": ("ec2:DeleteTags", "tag:UntagResources")}


@dataclass(frozen=True)
class Target:
    asset_id: str  # as the caller sent it
    region: str
    instance_id: str | None  # for EC2 instances
    arn: str | None  # for anything else (tagging API)


def _region_of_arn(index: int, region: str) -> str:
    # An ARN names its region; one AWS does not know is refused before any client is built for it.
    if region not in known_aws_regions():
        raise Unprocessable(
            f"asset_ids.{index}: '{region[:32]}' is not an AWS region name (for example us-east-1).",
            errors=[{"field": f"asset_ids.{index}", "in": "body", "type": "region", "message": "unknown region"}],
        )
    return region


def _targets(request: ActionRequest, home_region: str) -> tuple[list[Target], list[ActionResult]]:
    targets, refused = [], []
    for index, asset_id in enumerate(request.asset_ids):
        if found := INSTANCE_ARN.match(asset_id):
            targets.append(Target(asset_id, _region_of_arn(index, found["region"]), found["id"], None))
        elif INSTANCE_ID.match(asset_id):
            if request.region is None:
                raise Unprocessable(
                    'Plain instance ids need the instance\'s region: send "region" or use the instance ARN.',
                    errors=[{"field": "region", "in": "body", "type": "missing", "message": "required for ids"}],
                )
            targets.append(Target(asset_id, request.region, asset_id, None))
        elif found := ANY_ARN.match(asset_id):
            region = _region_of_arn(index, found["region"]) if found["region"] else home_region
            targets.append(Target(asset_id, region, None, asset_id))
        else:
            refused.append(ActionResult(asset_id=asset_id, ok=False, detail="Not an instance id or an ARN."))
    return targets, refused


def _raise_if_denied(error: ClientError, action: str, role_arn: str) -> None:
    if is_denied(error):
        raise denied(action, role_arn, error) from None
    if error_code(error) in THROTTLED_CODES:
        raise throttled() from None


def run_action(session: CustomerSession, request: ActionRequest, home_region: str) -> ActionResponse:
    if request.action in ("restart", "deallocate"):
        raise Unprocessable(f'"{request.action}" is an Azure action; for AWS use start, stop or reboot.')
    if request.action in ("tag", "untag") and not request.tags:
        raise Unprocessable(
            f'"{request.action}" needs "tags".',
            errors=[{"field": "tags", "in": "body", "type": "missing", "message": "required for tagging"}],
        )
    targets, results = _targets(request, home_region)
    by_region: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_region[target.region].append(target)
    for region, group in sorted(by_region.items()):
        if request.action in POWER_ACTIONS:
            results += _power(session, request.action, region, group)
        else:
            results += _tagging(session, request, region, group)
    order = {asset_id: index for index, asset_id in enumerate(request.asset_ids)}
    return ActionResponse(action=request.action, results=sorted(results, key=lambda r: order[r.asset_id]))


def _power(session: CustomerSession, action: str, region: str, group: list[Target]) -> list[ActionResult]:
    api, permission, key = POWER_ACTIONS[action]
    results = [
        ActionResult(asset_id=t.asset_id, ok=False, detail="Not an EC2 instance.") for t in group if not t.instance_id
    ]
    instances = [t for t in group if t.instance_id]
    call = getattr(session.client("ec2", region), api)
    for target in instances:  # one call per instance: one bad id must not fail the others
        try:
            response = call(InstanceIds=[target.instance_id])
        except ClientError as error:
            _raise_if_denied(error, permission, session.role_arn)
            results.append(
                ActionResult(asset_id=target.asset_id, ok=False, detail=f"AWS refused: {error_code(error)}.")
            )
            continue
        changes = response.get(key, []) if key else []
        state = changes[0]["CurrentState"]["Name"] if changes else None
        results.append(ActionResult(asset_id=target.asset_id, ok=True, state=state))
    return results


def _tagging(session: CustomerSession, request: ActionRequest, region: str, group: list[Target]) -> list[ActionResult]:
    ec2_permission, tagging_permission = TAG_PERMISSIONS[request.action]
    tags = request.tags or {}
    results: list[ActionResult] = []
    instances = [t for t in group if t.instance_id]
    if instances:
        ec2 = session.client("ec2", region)
        try:
            if request.action == "tag":
                ec2.create_tags(Resources=[t.instance_id for t in instances],
                                Tags=[{"Key": k, "Value": v} for k, v in tags.items()])  # fmt: skip
            else:
                ec2.delete_tags(Resources=[t.instance_id for t in instances], Tags=[{"Key": k} for k in tags])
            results += [ActionResult(asset_id=t.asset_id, ok=True) for t in instances]
        except ClientError as error:
            _raise_if_denied(error, ec2_permission, session.role_arn)
            results += [
                ActionResult(asset_id=t.asset_id, ok=False, detail=f"AWS refused: {error_code(error)}.")
                for t in instances
            ]
    others = [t for t in group if t.arn]
    if others:
        tagging = session.client("resourcegroupstaggingapi", region)
        arns = [t.arn for t in others]
        try:
            if request.action == "tag":
                failed = tagging.tag_resources(ResourceARNList=arns, Tags=tags).get("FailedResourcesMap", {})
            else:
                failed = tagging.untag_resources(ResourceARNList=arns, TagKeys=list(tags)).get("FailedResourcesMap", {})
        except ClientError as error:
            _raise_if_denied(error, tagging_permission, session.role_arn)
            failed = {arn: {"ErrorCode": error_code(error)} for arn in arns}
        for target in others:
            problem = failed.get(target.arn)
            if problem and problem.get("ErrorCode") in ("AccessDenied", "AccessDeniedException"):
                raise denied(tagging_permission, session.role_arn)
            results.append(
                ActionResult(asset_id=target.asset_id, ok=problem is None,
                             detail=f"AWS refused: {problem.get('ErrorCode')}." if problem else None)
            )  # fmt: skip
    return results
