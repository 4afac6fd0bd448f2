"""The demo "customer" Azure of the local stack: the demo Azure (``infrastructure.local.azure``: Entra ID, Resource
Manager and Graph on loopback HTTPS, a CA made at start) with the demo organization's federated credential.

The demo application trusts the local stack's own issuer (the emulator's ``sts:GetWebIdentityToken``), subject
(the customer-access role) and the demo organization's audience: what a customer copies from GET
/onboarding/azure into ``az ad app federated-credential create``. It also has a secret (shown in the info file) and
accepts a certificate added the way Graph adds one, so each credential type can be tried without internet.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infrastructure.local.aws.provisioning import AwsResources
from infrastructure.local.azure import AzureServer, DemoAzureInfo, FakeAzure, demo_azure
from infrastructure.local.ports import ensure_port_free

FEDERATED_CREDENTIAL_NAME = "Cloudivize"


@dataclass(frozen=True)
class LocalAzure:
    """The running demo Azure: where it is, the CA that the local functions trust, what the info file shows."""

    server: AzureServer
    info: DemoAzureInfo

    @property
    def fake(self) -> FakeAzure:
        return self.server.fake

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    def as_info(self) -> dict[str, Any]:
        return {**self.info.as_dict(), "ca_file": str(self.ca_file)}

    def stop(self) -> None:
        self.server.stop()


def start_demo_azure(host: str, port: int, directory: Path) -> LocalAzure:
    """The demo Azure, serving on ``host:port`` (0: a free port); its CA certificate written to ``directory``."""
    ensure_port_free(host, port, "demo Azure")
    fake, info = demo_azure()
    server = AzureServer(fake, directory, host=host, port=port).start()
    # The fake answers where it is served (the server set its URLs); the info says the same.
    info = dataclasses.replace(info, authority_url=server.url, resource_manager_url=server.url, graph_url=server.url)
    return LocalAzure(server=server, info=info)


def trust_organization(azure: LocalAzure, resources: AwsResources, external_id: str) -> None:
    """The demo application's federated credential for the organization whose External ID this is."""
    from cloudivize.principal import organization_audience  # the layer, loaded once the handler env is set

    azure.fake.add_federated_credential(
        azure.info.application_id,
        FEDERATED_CREDENTIAL_NAME,
        resources.web_identity_issuer,
        resources.customer_access_role_arn,
        organization_audience(external_id),
    )
