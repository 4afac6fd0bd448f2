"""Cognito administration the backend needs (setting the authority-carrying tenant attribute)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from cloudivize.tenancy import TENANT_CLAIM


@cache
def _cognito() -> Any:
    return boto3.client("cognito-idp")


def set_user_tenant(user_pool_id: str, username: str, tenant_id: str) -> None:
    """Write ``custom:tenant_id`` with admin rights (the app client itself cannot write it)."""
    _cognito().admin_update_user_attributes(
        UserPoolId=user_pool_id,
        Username=username,
        UserAttributes=[{"Name": TENANT_CLAIM, "Value": tenant_id}],
    )
