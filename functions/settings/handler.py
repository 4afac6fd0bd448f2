"""GET/PUT /settings: the caller's own user configuration."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import api_handler
from cloudivize.composition import backend
from cloudivize.models.user_settings import SettingsResponse, UserSettings
from cloudivize.openapi import ok
from cloudivize.tenancy import current_caller
from cloudivize.user_settings import read_user_settings, write_user_settings

router = Router()


@router.get(
    "/settings", summary="Your user configuration", tags=["settings"], responses=ok("Your settings, or the defaults")
)
def get_user_settings() -> SettingsResponse:
    return read_user_settings(backend().user_settings(current_caller(router)))


@router.put(
    "/settings", summary="Replace your user configuration", tags=["settings"], responses=ok("The settings saved")
)
def put_user_settings(body: Annotated[UserSettings, Body()]) -> SettingsResponse:
    return write_user_settings(backend().user_settings(current_caller(router)), body)


lambda_handler = api_handler(router)
