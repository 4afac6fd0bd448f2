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


@cache
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
