"""A fake of Microsoft Entra ID (the token endpoint) and Azure Resource Manager, for the Azure tests.

One fake, two wires: ``FakeAzureTransport`` plugs it into the Azure SDK's pipeline (azure-core's pluggable
transport: no socket), ``FakeAzureServer`` serves it over real HTTPS with a certificate made by the test.
It is independent of Cloudivize's code on purpose: it answers the way Azure does (status codes, error bodies
with AADSTS and ARM codes, throttling with a retry-after header) and enforces RBAC from the permissions each
subscription is given, with its own (deliberately simple) matcher.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import json
import re
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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

READER = {"actions": ["*/read"], "notActions": []}
VM_CONTRIBUTOR = {"actions": ["Microsoft.Compute/virtualMachines/*", "Microsoft.Resources/*/read"], "notActions": []}
TAG_CONTRIBUTOR = {"actions": ["Microsoft.Resources/tags/*", "Microsoft.Resources/*/read"], "notActions": []}

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class FakeVm:
    resource_group: str
    name: str
    location: str = "westeurope"
    power: str = "running"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeResource:
    resource_group: str
    type: str
    name: str
    location: str = "westeurope"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSubscription:
    subscription_id: str
    display_name: str
    permissions: list[dict[str, list[str]]] = field(default_factory=lambda: [READER])  # [] = no role at all
    resource_groups: dict[str, str] = field(default_factory=dict)  # name -> location
    vms: list[FakeVm] = field(default_factory=list)
    resources: list[FakeResource] = field(default_factory=list)
    failure: tuple[int, str] | None = None  # every call under the subscription answers this (status, ARM code)
    throttled: int = 0  # this many 429s first

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    def vm_id(self, vm: FakeVm) -> str:
        return f"{self.scope}/resourceGroups/{vm.resource_group}/providers/Microsoft.Compute/virtualMachines/{vm.name}"

    def resource_id(self, resource: FakeResource) -> str:
        return f"{self.scope}/resourceGroups/{resource.resource_group}/providers/{resource.type}/{resource.name}"


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


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(body).encode()


def _aad_error(status: int, error: str, code: int, description: str) -> Answer:
    trace = f"Trace ID: {uuid.uuid4()} Correlation ID: {uuid.uuid4()} Timestamp: 2026-01-01 00:00:00Z"
    return _json(status, {"error": error, "error_description": f"AADSTS{code}: {description} {trace}",
                          "error_codes": [code], "trace_id": str(uuid.uuid4())})  # fmt: skip


def _arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return _json(status, {"error": {"code": code, "message": message}}, headers)


class FakeAzure:
    """The state of one fake directory and its subscriptions, and the HTTP answers of Entra ID and ARM."""

    def __init__(
        self,
        *,
        subscriptions: dict[str, FakeSubscription] | None = None,
        authority_url: str = "https://login.fake-azure.test",
        arm_url: str = "https://management.fake-azure.test",
        page_size: int = 50,
    ) -> None:
        self.authority_url = authority_url
        self.arm_url = arm_url
        self.directories = {DIRECTORY_ID}
        self.applications = {APPLICATION_ID: SECRET}
        self.secret_expired = False
        self.arm_unreachable = False  # transport only: Resource Manager calls fail to connect
        self.subscriptions = subscriptions if subscriptions is not None else demo_subscriptions()
        self.page_size = page_size
        self.token_requests: list[dict[str, str]] = []  # the form fields, secret removed
        self.calls: list[tuple[str, str]] = []  # (method, path) of every ARM call
        self.tag_bodies: list[dict[str, Any]] = []
        self._tokens: dict[str, str] = {}  # access token -> the scope it was issued for
        self._lock = threading.Lock()

    @property
    def arm_scope(self) -> str:
        return f"{self.arm_url}/.default"

    # --- the wire -------------------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            if found := re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", parts.path):
                return self._openid_configuration(found[1])
            if found := re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", parts.path):
                form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                return self._token(found[1], form | {"host": parts.netloc})
            self.calls.append((method, parts.path))
            headers = {k.lower(): v for k, v in headers.items()}
            if problem := self._authenticate(headers.get("authorization", "")):
                return problem
            return self._arm(method, parts.path, query, body)

    # --- Entra ID -------------------------------------------------------------------------------------
    def _openid_configuration(self, tenant: str) -> Answer:
        if tenant not in self.directories:
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found. Check to make sure you "
                              "have the correct tenant ID and are signing into the correct cloud.")  # fmt: skip
        base = f"{self.authority_url}/{tenant}"
        return _json(200, {"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                           "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                           "tenant_region_scope": "EU"})  # fmt: skip

    def _token(self, tenant: str, form: dict[str, str]) -> Answer:
        secret = form.pop("client_secret", None)
        self.token_requests.append(form)
        client_id = form.get("client_id", "")
        if tenant not in self.directories:
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if client_id not in self.applications:
            return _aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was "
                              f"not found in the directory '{tenant}'.")  # fmt: skip
        if secret != self.applications[client_id]:
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret "
                              "being sent in the request is the client secret value, not the client secret ID, for "
                              f"a secret added to app '{client_id}'.")  # fmt: skip
        if self.secret_expired:
            return _aad_error(
                401,
                "invalid_client",
                7000222,
                f"The provided client secret keys for app "
                f"'{client_id}' are expired. Visit the Azure portal to create new keys for your app.",
            )
        token = f"fake-access-token-{uuid.uuid4().hex}"
        self._tokens[token] = form.get("scope", "")
        return _json(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    # --- Resource Manager -----------------------------------------------------------------------------
    def _authenticate(self, authorization: str) -> Answer | None:
        token = authorization.removeprefix("Bearer ")
        if token not in self._tokens:
            return _arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                              "missing or invalid.")  # fmt: skip
        if self._tokens[token] != self.arm_scope:
            return _arm_error(401, "InvalidAuthenticationToken", "The access token has been obtained for wrong "
                              "audience or resource.")  # fmt: skip
        return None

    def _allowed(self, subscription: FakeSubscription, action: str) -> bool:
        return any(
            any(fnmatchcase(action.lower(), a.lower()) for a in entry["actions"])
            and not any(fnmatchcase(action.lower(), n.lower()) for n in entry.get("notActions", []))
            for entry in subscription.permissions
        )

    def _denied(self, action: str, scope: str) -> Answer:
        return _arm_error(403, "AuthorizationFailed", f"The client '{APPLICATION_ID}' with object id "
                          f"'{uuid.UUID(int=7)}' does not have authorization to perform action '{action}' over scope "
                          f"'{scope}' or the scope is invalid. If access was recently granted, please refresh your "
                          "credentials.")  # fmt: skip

    def _arm(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        if "api-version" not in query:
            return _arm_error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        if path == "/subscriptions" and method == "GET":
            return _json(200, {"value": [self._subscription_body(s) for s in self.subscriptions.values()
                                         if s.permissions]})  # fmt: skip
        found = re.match(r"^/subscriptions/([^/]+)(/.*)?$", path, re.IGNORECASE)
        if not found:
            return _arm_error(404, "NotFound", f"No route for {path}.")  # also what "//subscriptions/..." gets
        subscription = self.subscriptions.get(found[1])
        if subscription is None:
            return _arm_error(404, "SubscriptionNotFound", f"The subscription '{found[1]}' could not be found.")
        if subscription.throttled:
            subscription.throttled -= 1
            return _arm_error(429, "TooManyRequests", "Too many requests.", {"retry-after-ms": "1"})
        if subscription.failure:
            status, code = subscription.failure
            return _arm_error(status, code, f"{code} (played by the fake).")
        rest = found[2] or ""
        return self._in_subscription(subscription, method, rest, query, body)

    def _in_subscription(
        self, sub: FakeSubscription, method: str, rest: str, query: dict[str, str], body: bytes
    ) -> Answer:
        routes: list[tuple[str, str, str]] = [  # method, path regex (after /subscriptions/{id}), RBAC action
            ("GET", r"/providers/Microsoft\.Authorization/permissions", "Microsoft.Authorization/permissions/read"),
            ("GET", r"/resourcegroups", "Microsoft.Resources/subscriptions/resourceGroups/read"),
            ("GET", r"/resources", "Microsoft.Resources/subscriptions/resources/read"),
            ("GET", r"/providers/Microsoft\.Compute/virtualMachines", "Microsoft.Compute/virtualMachines/read"),
            ("POST", r"/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+/(?P<op>\w+)",
             "Microsoft.Compute/virtualMachines/{op}/action"),
            ("GET", r"(?P<scope>(/.*)?)/providers/Microsoft\.Resources/tags/default", "Microsoft.Resources/tags/read"),
            ("PATCH", r"(?P<scope>(/.*)?)/providers/Microsoft\.Resources/tags/default",
             "Microsoft.Resources/tags/write"),
        ]  # fmt: skip
        for verb, pattern, action in routes:
            matched = re.fullmatch(pattern, rest, re.IGNORECASE)
            if verb != method or not matched:
                continue
            action = action.format(**matched.groupdict())
            if not self._allowed(sub, action):
                target = rest.rsplit("/", 1)[0] if verb == "POST" else matched.groupdict().get("scope") or ""
                return self._denied(action, sub.scope + target)
            if "permissions" in pattern:
                return _json(
                    200,
                    {
                        "value": [
                            {
                                "actions": p["actions"],
                                "notActions": p.get("notActions", []),
                                "dataActions": [],
                                "notDataActions": [],
                            }
                            for p in sub.permissions
                        ]
                    },
                )
            if pattern == r"/resourcegroups":
                return _json(200, {"value": [self._group_body(sub, name, loc)
                                             for name, loc in sub.resource_groups.items()]})  # fmt: skip
            if pattern == r"/resources":
                return self._resources_page(sub, query)
            if "virtualMachines" in pattern and verb == "GET":
                return _json(200, {"value": [self._vm_body(sub, vm, query.get("statusOnly") == "true")
                                             for vm in sub.vms]})  # fmt: skip
            if verb == "POST":
                return self._power(sub, sub.scope + rest.rsplit("/", 1)[0], matched["op"])
            return self._tags(sub, sub.scope + matched["scope"], verb, body)
        return _arm_error(404, "NotFound", f"No route for {method} {rest}.")

    # --- bodies ---------------------------------------------------------------------------------------
    @staticmethod
    def _subscription_body(sub: FakeSubscription) -> dict[str, Any]:
        return {"id": sub.scope, "subscriptionId": sub.subscription_id, "tenantId": DIRECTORY_ID,
                "displayName": sub.display_name, "state": "Enabled", "authorizationSource": "RoleBased"}  # fmt: skip

    @staticmethod
    def _group_body(sub: FakeSubscription, name: str, location: str) -> dict[str, Any]:
        return {"id": f"{sub.scope}/resourceGroups/{name}", "name": name, "type": "Microsoft.Resources/resourceGroups",
                "location": location, "tags": {}, "properties": {"provisioningState": "Succeeded"}}  # fmt: skip

    def _all_resources(self, sub: FakeSubscription) -> list[dict[str, Any]]:
        vms = [{"id": sub.vm_id(vm), "name": vm.name, "type": "Microsoft.Compute/virtualMachines",
                "location": vm.location, "tags": vm.tags} for vm in sub.vms]  # fmt: skip
        others = [{"id": sub.resource_id(r), "name": r.name, "type": r.type, "location": r.location, "tags": r.tags}
                  for r in sub.resources]  # fmt: skip
        return vms + others

    def _resources_page(self, sub: FakeSubscription, query: dict[str, str]) -> Answer:
        items = self._all_resources(sub)
        start = int(query.get("$skiptoken", "0"))
        page: dict[str, Any] = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            page["nextLink"] = f"{self.arm_url}{sub.scope}/resources?" + urlencode(
                {"api-version": query["api-version"], "$skiptoken": start + self.page_size}
            )
        return _json(200, page)

    @staticmethod
    def _vm_body(sub: FakeSubscription, vm: FakeVm, status_only: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"id": sub.vm_id(vm), "name": vm.name, "type": "Microsoft.Compute/virtualMachines",
                                "location": vm.location, "properties": {}}  # fmt: skip
        if status_only:
            body["properties"]["instanceView"] = {
                "statuses": [
                    {"code": "ProvisioningState/succeeded", "level": "Info"},
                    {"code": f"PowerState/{vm.power}", "level": "Info", "displayStatus": f"VM {vm.power}"},
                ]
            }
        else:
            body["tags"] = vm.tags
        return body

    def _find_vm(self, sub: FakeSubscription, vm_id: str) -> FakeVm | None:
        return next((vm for vm in sub.vms if sub.vm_id(vm).lower() == vm_id.lower()), None)

    def _power(self, sub: FakeSubscription, vm_id: str, op: str) -> Answer:
        vm = self._find_vm(sub, vm_id)
        if vm is None:
            return _arm_error(404, "ResourceNotFound", f"The Resource '{vm_id}' was not found.")
        next_state = {"start": "running", "deallocate": "deallocated", "restart": "running", "powerOff": "stopped"}
        if op not in next_state:
            return _arm_error(404, "NotFound", f"No operation {op}.")
        vm.power = next_state[op]
        operation = f"{self.arm_url}/providers/Microsoft.Compute/operations/{uuid.uuid4()}?api-version=2024-07-01"
        return 202, {"Azure-AsyncOperation": operation, "Location": operation, "Content-Length": "0"}, b""

    def _tags_of(self, sub: FakeSubscription, scope: str) -> dict[str, str] | None:
        if scope.lower() == sub.scope.lower():
            return {}
        for vm in sub.vms:
            if sub.vm_id(vm).lower() == scope.lower():
                return vm.tags
        for resource in sub.resources:
            if sub.resource_id(resource).lower() == scope.lower():
                return resource.tags
        return None

    def _tags(self, sub: FakeSubscription, scope: str, method: str, body: bytes) -> Answer:
        tags = self._tags_of(sub, scope)
        if tags is None:
            return _arm_error(404, "ResourceNotFound", f"The Resource '{scope}' was not found.")
        if method == "PATCH":
            patch = json.loads(body)
            self.tag_bodies.append({"scope": scope, **patch})
            given = patch["properties"]["tags"]
            if patch["operation"] == "Merge":
                tags.update(given)
            elif patch["operation"] == "Delete":  # removes the given name/value pairs
                for key, value in given.items():
                    if tags.get(key) == value:
                        del tags[key]
            else:
                tags.clear()
                tags.update(given)
        return _json(200, {"id": f"{scope}/providers/Microsoft.Resources/tags/default", "name": "default",
                           "type": "Microsoft.Resources/tags", "properties": {"tags": dict(tags)}})  # fmt: skip


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


# --- wire 2: real HTTPS ----------------------------------------------------------------------------------
def write_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost/127.0.0.1 and its key; the certificate is also the CA to trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "fake-azure.pem", directory / "fake-azure.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class FakeAzureServer:
    """``FakeAzure`` over HTTPS on 127.0.0.1 (token endpoint and ARM on one port), with its own certificate."""

    def __init__(self, fake: FakeAzure, directory: Path) -> None:
        self.fake = fake
        self.ca_file, key_file = write_self_signed_certificate(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self.url = f"https://localhost:{self._server.server_address[1]}"
        fake.authority_url = fake.arm_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-azure", daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, content = server.fake.handle(
                    self.command, server.url + self.path, dict(self.headers.items()), body
                )
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
                return None

        return Handler

    def __enter__(self) -> FakeAzureServer:
        self._thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


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
