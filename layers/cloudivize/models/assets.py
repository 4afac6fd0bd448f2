"""Assets as Cloudivize shows them: one normalized shape for every provider, never stored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloudivize.models.fields import AwsRegion


class Asset(BaseModel):
    provider: Literal["aws", "azure"]
    id: str = Field(description="The provider's id (instance id, bucket name, resource id)")
    arn: str | None = Field(default=None, description="AWS ARN or Azure resource id")
    name: str | None = None
    type: str = Field(description='e.g. "ec2:instance", "s3:bucket", "Microsoft.Compute/virtualMachines"')
    region: str | None = Field(default=None, description="AWS region or Azure location")
    account_id: str | None = Field(default=None, description="AWS: the account that holds it")
    state: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class RegionError(BaseModel):
    region: str = Field(description="The region (AWS) or subscription (Azure) that failed")
    account_id: str | None = Field(
        default=None, description="AWS: the account (an organization's listing reports each account's own)"
    )
    service: str
    error: str
    detail: str


class AssetPage(BaseModel):
    items: list[Asset]
    next_token: str | None = None
    errors: list[RegionError] = Field(default_factory=list, description="Parts that could not be listed")


TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]


class ActionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "stop", "asset_ids": ["i-0123456789abcdef0"], "region": "us-east-1"},
                {"action": "tag", "asset_ids": ["arn:aws:ec2:eu-west-1:123456789012:instance/i-0fedcba9876543210"],
                 "tags": {"owner": "ops"}},
            ]
        },
    )  # fmt: skip

    action: Literal["start", "stop", "reboot", "restart", "deallocate", "tag", "untag"]
    asset_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=2048)]] = Field(
        min_length=1, max_length=50, description="Instance ids or ARNs (AWS); resource ids (Azure)"
    )
    tags: dict[TagKey, TagValue] | None = Field(
        default=None, max_length=50, description="tag: tags to set; untag: the keys to remove (values ignored)"
    )
    region: AwsRegion | None = Field(default=None, description="AWS: the region of plain instance ids")


class ActionResult(BaseModel):
    asset_id: str
    ok: bool
    state: str | None = None
    detail: str | None = None


class ActionResponse(BaseModel):
    action: str
    results: list[ActionResult]


class ActivityEvent(BaseModel):
    id: str
    time: datetime
    name: str
    source: str | None = None
    username: str | None = None
    source_identity: str | None = Field(default=None, description="The Cloudivize user who acted, when recorded")
    read_only: bool | None = None
    error_code: str | None = None
    resources: list[dict[str, str]] = Field(default_factory=list)


class ActivityPage(BaseModel):
    items: list[ActivityEvent]
    next_token: str | None = None
