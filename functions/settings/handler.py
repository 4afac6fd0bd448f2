"""GET/PUT /settings: the caller's own user configuration."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.config import get_settings
from cloudivize.models.settings import SettingsResponse, UserSettings
from cloudivize.repository import Table
from cloudivize.settings import read_settings, write_settings
from cloudivize.tenancy import current_caller

router = Router()


@router.get("/settings", summary="Your user configuration", tags=["settings"])
def get_user_settings() -> SettingsResponse:
    return read_settings(Table(get_settings().table_name), current_caller(router))


@router.put("/settings", summary="Replace your user configuration", tags=["settings"])
def put_user_settings(body: Annotated[UserSettings, Body()]) -> SettingsResponse:
    return write_settings(Table(get_settings().table_name), current_caller(router), body)


lambda_handler = api_handler(router)
