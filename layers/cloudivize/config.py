"""Configuration of the functions, read once from the environment (lazily: importing needs no env)."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(validation_alias="TABLE_NAME")
    field_key_arn: str = Field(validation_alias="FIELD_KEY_ARN")
    idempotency_table_name: str | None = Field(default=None, validation_alias="IDEMPOTENCY_TABLE_NAME")
    # The one principal customers trust (DESIGN §6); functions assume it, then the customer's role.
    customer_access_role_arn: str | None = Field(default=None, validation_alias="CUSTOMER_ACCESS_ROLE_ARN")
    onboarding_template_url: str | None = Field(default=None, validation_alias="ONBOARDING_TEMPLATE_URL")
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")


@cache
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
