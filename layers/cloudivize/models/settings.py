"""User configuration: validated and bounded, so it stays configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cloudivize.models.fields import AwsRegion

PreferenceKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
PreferenceValue = Annotated[str, StringConstraints(max_length=256)] | bool | int


def _timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("must be an IANA time zone name such as Europe/Berlin")
    return value


class UserSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_regions: list[AwsRegion] = Field(default_factory=list, max_length=40)
    default_azure_locations: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,32}$")]] = Field(
        default_factory=list, max_length=60
    )
    theme: Literal["system", "light", "dark"] = "system"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    preferences: dict[PreferenceKey, PreferenceValue] = Field(
        default_factory=dict, max_length=50, description="Free-form UI preferences (50 keys, short values)"
    )


class SettingsResponse(UserSettings):
    updated_at: datetime | None = None
