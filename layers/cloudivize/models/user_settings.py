"""User configuration: validated and bounded, so it stays configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cloudivize.models.fields import AwsRegion

PreferenceKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
MAX_PREFERENCE_TEXT = 256


def _preference_value(value: Any) -> Any:
    # One validator rather than a union, so that an error names the preference, not a union member.
    if isinstance(value, str) and len(value) > MAX_PREFERENCE_TEXT:
        raise ValueError(f"text preferences are at most {MAX_PREFERENCE_TEXT} characters")
    if value is not None and not isinstance(value, str | bool | int | float):
        raise ValueError("a preference is text, a number, true/false or null")
    return value


# What _preference_value accepts, as the OpenAPI document states it.
PREFERENCE_VALUE_SCHEMA = {
    "anyOf": [
        {"type": "string", "maxLength": MAX_PREFERENCE_TEXT},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
}
PreferenceValue = Annotated[Any, AfterValidator(_preference_value), Field(json_schema_extra=PREFERENCE_VALUE_SCHEMA)]


def _timezones_schema(schema: dict) -> None:
    # Called only when the OpenAPI document is generated: the zone names this runtime knows.
    schema["enum"] = sorted(available_timezones())


def _timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("must be an IANA time zone name such as Europe/Berlin")
    return value


class UserSettings(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "default_regions": ["eu-west-1", "eu-central-1"],
                    "default_azure_locations": ["westeurope"],
                    "theme": "dark",
                    "language": "en-GB",
                    "timezone": "Europe/Berlin",
                    "preferences": {"table.density": "compact"},
                }
            ]
        },
    )

    default_regions: list[AwsRegion] = Field(default_factory=list, max_length=40)
    default_azure_locations: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,32}$")]] = Field(
        default_factory=list, max_length=60
    )
    theme: Literal["system", "light", "dark"] = "system"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    timezone: Annotated[str, AfterValidator(_timezone), Field(json_schema_extra=_timezones_schema)] = "UTC"
    preferences: dict[PreferenceKey, PreferenceValue] = Field(
        default_factory=dict,
        max_length=50,
        description="Free-form UI preferences (50 keys, short values)",
        json_schema_extra={"additionalProperties": False},  # keys are only those of the key pattern
    )


class SettingsResponse(UserSettings):
    updated_at: datetime | None = None
