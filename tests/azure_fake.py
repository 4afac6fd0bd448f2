"""The Azure tests' fake of Microsoft Entra ID and Azure Resource Manager: the local stack's demo Azure
(``infrastructure.local.azure``) holding the tests' directory, application and subscriptions.

Two wires: ``FakeAzureTransport`` plugs it into the Azure SDK's pipeline (azure-core's pluggable transport: no
socket), ``AzureServer`` serves it over real HTTPS with a CA made at start. Below are the helpers that point
Cloudivize at a fake.
"""

from __future__ import annotations

import io
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from infrastructure.local import azure
from infrastructure.local.azure import (  # noqa: F401 - re-exported for the tests
    READER,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    AzureServer,
    FakeResource,
    FakeSubscription,
    FakeVm,
)

DIRECTORY_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
APPLICATION_ID = "1a2b3c4d-5e6f-4081-9223-b4c5d6e7f809"
SECRET = "Az~fake-application-secret-0123456789"
SUB_A = "11111111-1111-4111-8111-111111111111"
SUB_B = "22222222-2222-4222-8222-222222222222"
SUB_HIDDEN = "33333333-3333-4333-8333-333333333333"  # exists, but the application has no role on it
# Resources the fake holds (see FakeAzure's default content).
WEB_GROUP = f"/subscriptions/{SUB_A}/resourceGroups/web"
WEB_1 = f"{WEB_GROUP}/providers/Microsoft.Compute/virtualMachines/web-1"
WEB_2 = f"{WEB_GROUP}/providers/Microsoft.Compute/virtualMachines/web-2"
STORAGE = f"/subscriptions/{SUB_A}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/datastore"


def demo_subscriptions() -> dict[str, FakeSubscription]:
    """Two subscriptions the application can see (one with VMs, one with a storage account), one it cannot."""
    return {
        SUB_A: FakeSubscription(
            SUB_A,
            "Production",
            permissions=[READER],
            resource_groups={"web": "westeurope", "data": "northeurope"},
            vms=[
                FakeVm("web", "web-1", tags={"env": "prod"}),
                FakeVm("web", "web-2", power="deallocated"),
            ],
            resources=[
                FakeResource("data", "Microsoft.Storage/storageAccounts", "datastore", "northeurope", {"env": "prod"})
            ],  # fmt: skip
        ),
        SUB_B: FakeSubscription(
            SUB_B,
            "Development",
            permissions=[READER],
            resource_groups={"dev": "eastus"},
            vms=[FakeVm("dev", "dev-1", location="eastus", power="stopped")],
        ),
        SUB_HIDDEN: FakeSubscription(SUB_HIDDEN, "Someone else's", permissions=[]),
    }


class FakeAzure(azure.FakeAzure):
    """The demo Azure with the tests' content: directory DIRECTORY_ID, application APPLICATION_ID with SECRET, and
    ``demo_subscriptions()`` unless others are given."""

    def __init__(self, *, subscriptions: dict[str, FakeSubscription] | None = None, **kwargs: Any) -> None:
        super().__init__(subscriptions=demo_subscriptions() if subscriptions is None else subscriptions, **kwargs)
        self.add_directory(DIRECTORY_ID)
        self.add_application(DIRECTORY_ID, APPLICATION_ID).add_secret(SECRET)
        self.arm_unreachable = False  # transport only: Resource Manager calls fail to connect


# --- wire 1: azure-core's pluggable transport ------------------------------------------------------------
def _request_body(request: Any) -> bytes:
    data = getattr(request, "data", None)
    if data is None:
        content = getattr(request, "content", None)
        data = content if content is not None else getattr(request, "body", None)
    if data is None:
        return b""
    if isinstance(data, dict):
        return urlencode(data).encode()
    return data if isinstance(data, bytes) else str(data).encode()


def _transport_class() -> type:
    import requests
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline.transport import HttpTransport, RequestsTransportResponse
    from azure.core.rest import HttpRequest as RestHttpRequest
    from azure.core.rest._requests_basic import RestRequestsTransportResponse

    class FakeAzureTransport(HttpTransport):
        """Answers every request of the credential and the clients from a ``FakeAzure``, without a socket."""

        def __init__(self, fake: FakeAzure) -> None:
            self.fake = fake

        def __enter__(self) -> FakeAzureTransport:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def open(self) -> None:
            return None

        def close(self) -> None:
            return None

        def send(self, request: Any, **kwargs: Any) -> Any:
            if self.fake.arm_unreachable and not re.search(r"/(oauth2/v2\.0/token|v2\.0/\.well-known/)", request.url):
                raise ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused")
            status, headers, content = self.fake.handle(
                request.method, request.url, dict(request.headers), _request_body(request)
            )
            raw = requests.Response()
            raw.status_code, raw.reason, raw.url = status, HTTPStatus(status).phrase, request.url
            raw.headers.update(headers)
            raw.raw = io.BytesIO(content)  # what urllib3 would stream from the socket
            if isinstance(request, RestHttpRequest):
                response = RestRequestsTransportResponse(request=request, internal_response=raw)
                response.read()
                return response
            return RequestsTransportResponse(request, raw)

    return FakeAzureTransport


def fake_transport(fake: FakeAzure) -> Any:
    """A ``FakeAzureTransport`` (its class is made on use: importing this module must not load the Azure SDK)."""
    return _transport_class()(fake)


# --- pointing Cloudivize at a fake ----------------------------------------------------------------------
def clear_azure_caches() -> None:
    """Azure settings and sessions are cached per warm container; each test is a new container."""
    from cloudivize import config
    from cloudivize.azure_access import clients

    config.azure_cloud.cache_clear()
    clear = getattr(clients.azure_sessions, "cache_clear", None)
    if clear is not None:
        clear()


def point_azure_at(monkeypatch: Any, authority_url: str, arm_url: str) -> None:
    """Cloudivize's Azure endpoints, as an operator sets them (a sovereign cloud, or here a fake)."""
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority_url)
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_URL", arm_url)
    clear_azure_caches()


def plug_fake_transport(monkeypatch: Any, fake: FakeAzure) -> None:
    """Every Azure call Cloudivize makes goes to ``fake`` through azure-core's pluggable transport."""
    point_azure_at(monkeypatch, fake.authority_url, fake.arm_url)
    plug_transport_as_configured(monkeypatch, fake)


def plug_transport_as_configured(monkeypatch: Any, fake: FakeAzure) -> None:
    """Answer from ``fake`` whatever endpoints the environment configures (their spelling is the test's)."""
    from cloudivize.azure_access import clients
    from cloudivize.config import azure_cloud

    clear_azure_caches()
    sessions = clients.AzureSessions(azure_cloud(), transport=fake_transport(fake))
    monkeypatch.setattr(clients, "azure_sessions", lambda: sessions)


def azure_connection(**descriptors: Any) -> Any:
    """An opened Azure connection, as the assets and actions functions receive it (``CloudConnection``)."""
    from cloudivize.azure_access.provider import AzureApplication, AzureSecret
    from cloudivize.providers.base import CloudConnection

    secret = descriptors.pop("application_secret", SECRET)
    expires = descriptors.pop("secret_expires_at", None)
    return CloudConnection(
        connection_id="c-1",
        tenant_id="t-1",
        user_id="u-1",
        provider="azure",
        regions=None,
        descriptors=AzureApplication(
            **{
                "directory_id": DIRECTORY_ID,
                "application_id": APPLICATION_ID,
                "subscription_ids": None,
                "secret_hint": secret[:3],
            }
            | descriptors  # fmt: skip
        ),
        credentials=AzureSecret(application_secret=secret),
        secret_expires_at=expires,
    )


def azure_provider() -> Any:
    """Cloudivize's Azure provider, as the functions' composition root builds it."""
    from cloudivize.azure_access.provider import AzureProvider
    from cloudivize.principal import Principal

    return AzureProvider(Principal(None, "us-east-1"), None)
