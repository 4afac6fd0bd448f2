"""GET/PUT /settings: the caller's own user configuration."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudivize.api import build_resolver, handle
from cloudivize.config import get_settings
from cloudivize.models.settings import SettingsResponse, UserSettings
from cloudivize.observability import logger, tracer
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


app = build_resolver(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(app, event, context)
