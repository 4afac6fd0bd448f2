"""Connections API: add, list, read, change, remove and re-verify a customer's cloud connections."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.event_handler.router import Router

from cloudivize.api import ConnectionId, api_handler
from cloudivize.composition import backend
from cloudivize.connections import Connections
from cloudivize.idempotency import CONFIG as IDEMPOTENCY_CONFIG
from cloudivize.idempotency import once
from cloudivize.models.connections import (
    Connection,
    ConnectionCreate,
    ConnectionPage,
    ConnectionPatch,
    SyncResult,
    Verification,
)
from cloudivize.observability import logger
from cloudivize.openapi import created, no_content, ok, problems
from cloudivize.tenancy import current_caller

router = Router()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry a create safely: the same key and body create the connection once",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=32, pattern=r'^(W/)?"?v?\d+"?$', description="The version you read"),
]


def _connections() -> Connections:
    return backend().connections(current_caller(router))


def _etag(connection: Connection) -> dict[str, str]:
    return {"ETag": f'"{connection.version}"'}


def _version_of(if_match: str | None) -> int | None:
    return int(if_match.removeprefix("W/").strip('"').removeprefix("v")) if if_match else None


@router.post(
    "/connections",
    summary="Add an AWS or Azure connection",
    tags=["connections"],
    responses={
        **created(
            "The connection, verified live first unless `verify` was false (a retry with the same key "
            "answers the same connection)"
        ),
        **problems(403, 409, 422, 503),
    },
)
def create_connection(
    body: Annotated[ConnectionCreate, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Connection]:
    connections = _connections()
    caller = current_caller(router)
    written: list[Connection] = []

    def create() -> dict[str, str]:
        written.append(connections.create(body))
        return {"connection_id": written[0].id}

    created = once(
        table_name=backend().config.idempotency_table_name,
        tenant_id=caller.tenant_id,
        operation="create-connection",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),  # SecretStr dumps masked: no secret reaches the store
        action=create,
    )
    # The create answers what it wrote; only a replayed retry (nothing written now) reads the stored connection.
    connection = written[0] if written else connections.get(created["connection_id"])
    logger.info("Connection created", extra={"connection_id": connection.id, "provider": connection.provider})
    headers = {**_etag(connection), "Location": f"/connections/{connection.id}"}
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=connection, headers=headers)


@router.get(
    "/connections",
    summary="List connections (metadata only)",
    tags=["connections"],
    responses={**ok("A page of your organisation's connections"), **problems(400)},
)
def list_connections(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(max_length=1024)] = None,
) -> ConnectionPage:
    return _connections().list(limit, next_token)


@router.get(
    "/connections/<connection_id>",
    summary="One connection (metadata only)",
    tags=["connections"],
    responses={**ok("The connection; its ETag is its version", headers=("ETag",)), **problems(404)},
)
def get_connection(connection_id: ConnectionId) -> Response[Connection]:
    connection = _connections().get(connection_id)
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=connection, headers=_etag(connection)
    )


@router.patch(
    "/connections/<connection_id>",
    summary="Rename, re-scope or rotate a secret",
    tags=["connections"],
    responses={
        **ok("The connection as changed, at its new version", headers=("ETag",)),
        **problems(400, 403, 404, 412, 422, 428, 503),
    },
)
def update_connection(
    connection_id: ConnectionId, body: Annotated[ConnectionPatch, Body()], if_match: IfMatch = None
) -> Response[Connection]:
    connection = _connections().update(connection_id, body, _version_of(if_match))
    logger.info("Connection updated", extra={"connection_id": connection_id, "version": connection.version})
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=connection, headers=_etag(connection)
    )


@router.delete(
    "/connections/<connection_id>",
    summary="Remove a connection",
    tags=["connections"],
    responses={**no_content("Removed"), **problems(404)},
)
def delete_connection(connection_id: ConnectionId) -> Response[None]:
    _connections().delete(connection_id)
    logger.info("Connection deleted", extra={"connection_id": connection_id})
    return Response(status_code=204)


@router.post(
    "/connections/<connection_id>/verify",
    summary="Re-check a connection live",
    tags=["connections"],
    responses={
        **ok("Every check and its outcome; the connection's status records the result"),
        **problems(403, 404, 422, 503),
    },
)
def verify_connection(connection_id: ConnectionId) -> Verification:
    return _connections().verify(connection_id)


@router.post(
    "/connections/<connection_id>/sync",
    summary="Reconcile an organization connection with its AWS organization",
    tags=["connections"],
    responses={
        **ok(
            "What the sync did (members added for new accounts, marked as having left or suspended) and every "
            "member as it stands. A sync under way answers its result once done"
        ),
        **problems(403, 404, 409, 422, 503),
    },
)
def sync_connection(connection_id: ConnectionId) -> SyncResult:
    result = _connections().sync(connection_id)
    logger.info(
        "Organization synced",
        extra={
            "connection_id": connection_id,
            "accounts": result.accounts,
            "added": len(result.added),
            "left": len(result.left),
            "suspended": len(result.suspended),
        },
    )
    return result


lambda_handler = api_handler(router, on_invoke=IDEMPOTENCY_CONFIG.register_lambda_context)
