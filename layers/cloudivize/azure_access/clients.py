"""The credential and Resource Manager clients of one Azure connection, built once per warm container.

A connection's credential (azure-identity's, as its ``sign_in`` makes it: federated, certificate or secret; its
token cache lives in memory only) and its clients are reused by later requests of the same warm container, keyed
by a digest of the directory, the application, the sign-in's material and the endpoints: no secret or key is ever
a key in clear, and a rotated one gets a fresh credential. Nothing is written anywhere, nothing is logged.

Endpoints come from ``cloudivize.config.AzureCloud``: the public cloud by default, a sovereign cloud (or a
test's fake) through ``AZURE_AUTHORITY_HOST`` and ``AZURE_RESOURCE_MANAGER_URL``. The ARM token scope follows
the ARM endpoint (``<resource manager url>/.default``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from azure.core.pipeline.policies import RetryPolicy
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from cloudivize.azure_access.sign_in import SignIn
from cloudivize.config import AzureCloud, azure_cloud

RETRY_TOTAL = 2  # throttling and dropped connections: retried this often, then the request answers 503
RETRY_BACKOFF_SECONDS = 0.4
MAX_RETRY_AFTER_SECONDS = 2.0  # Azure may ask for a minute: the function would time out long before
CONNECTION_TIMEOUT_SECONDS = 4
READ_TIMEOUT_SECONDS = 10
MAX_CACHED_CONNECTIONS = 32
Client = TypeVar("Client")


class BoundedRetryPolicy(RetryPolicy):
    """azure-core's retries (429, 5xx, dropped connections), never sleeping longer than a Lambda can wait."""

    def get_retry_after(self, response: Any) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, MAX_RETRY_AFTER_SECONDS)


def _retry_options() -> dict[str, Any]:
    return {"retry_total": RETRY_TOTAL, "retry_backoff_factor": RETRY_BACKOFF_SECONDS}


class AzureSession:
    """One application's credential and its clients (per subscription), shared by the requests of a container."""

    def __init__(
        self,
        *,
        directory_id: str,
        application_id: str,
        sign_in: SignIn,
        cloud: AzureCloud,
        pipeline_options: Mapping[str, Any],
    ) -> None:
        self.directory_id = directory_id
        self.application_id = application_id
        self.sign_in_kind = sign_in
        self.cloud = cloud
        self._options = dict(pipeline_options)
        self.credential = sign_in.credential(
            directory_id,
            application_id,
            authority=cloud.authority_host,
            # The authority is Cloudivize's own configuration: no need to ask the public cloud to vouch for it
            # (and a sovereign or private cloud could not be vouched for).
            disable_instance_discovery=True,
            retry_policy_class=BoundedRetryPolicy,
            **_retry_options(),
            **self._options,
        )
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AzureSession(directory_id={self.directory_id!r}, application_id={self.application_id!r})"

    @property
    def refusal_context(self) -> dict[str, Any]:
        """What the failure map needs to say what to fix when Entra ID refuses this sign-in."""
        return {
            "directory_id": self.directory_id,
            "application_id": self.application_id,
            "kind": self.sign_in_kind.kind,
            "facts": self.sign_in_kind.facts(),
        }

    def accepted(self) -> str:
        """How the last sign-in was accepted, in the customer's words."""
        return self.sign_in_kind.accepted(self.credential)

    @property
    def scope(self) -> str:
        return self.cloud.credential_scope

    def sign_in(self) -> None:
        """Get (or reuse) a token for Resource Manager: raises ClientAuthenticationError when Entra ID refuses."""
        self.credential.get_token(self.scope)

    def _arm_options(self) -> dict[str, Any]:
        return {
            "base_url": self.cloud.resource_manager_url,
            "credential_scopes": [self.scope],
            "retry_policy": BoundedRetryPolicy(**_retry_options()),
            **self._options,
        }

    def _client(self, kind: str, subscription_id: str | None, make: Callable[..., Client]) -> Client:
        with self._lock:
            key = (kind, subscription_id)
            if key not in self._clients:
                self._clients[key] = make()
            return self._clients[key]

    def subscriptions(self) -> SubscriptionClient:
        return self._client("subscriptions", None, lambda: SubscriptionClient(self.credential, **self._arm_options()))

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        return self._client(
            "resources",
            subscription_id,
            lambda: ResourceManagementClient(self.credential, subscription_id, **self._arm_options()),
        )

    def compute(self, subscription_id: str) -> ComputeManagementClient:
        return self._client(
            "compute",
            subscription_id,
            lambda: ComputeManagementClient(self.credential, subscription_id, **self._arm_options()),
        )


class AzureSessions:
    """The sessions of one warm container, least recently used dropped first."""

    def __init__(self, cloud: AzureCloud, **pipeline_options: Any) -> None:
        self.cloud = cloud
        self._pipeline_options = pipeline_options
        self._sessions: OrderedDict[str, AzureSession] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, *, directory_id: str, application_id: str, sign_in: SignIn) -> AzureSession:
        key = hashlib.sha256(
            "\0".join(
                (
                    self.cloud.authority_host,
                    self.cloud.resource_manager_url,
                    directory_id,
                    application_id,
                    sign_in.kind,
                    sign_in.cache_material(),
                )
            ).encode()
        ).hexdigest()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = AzureSession(
                    directory_id=directory_id,
                    application_id=application_id,
                    sign_in=sign_in,
                    cloud=self.cloud,
                    pipeline_options=self._pipeline_options,
                )
                self._sessions[key] = session
                while len(self._sessions) > MAX_CACHED_CONNECTIONS:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(key)
            return session


@cache
def azure_sessions() -> AzureSessions:
    return AzureSessions(
        azure_cloud(), connection_timeout=CONNECTION_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS
    )


def open_session(*, directory_id: str, application_id: str, sign_in: SignIn) -> AzureSession:
    """The container's session of a connection, signing in as ``sign_in`` says."""
    return azure_sessions().open(directory_id=directory_id, application_id=application_id, sign_in=sign_in)
