"""The demo Azure of the local stack: Entra ID (discovery, token endpoint with secrets, certificates and federated
credentials), Azure Resource Manager and just enough Microsoft Graph, answered from one state over loopback HTTPS.

Independent of Cloudivize's code on purpose: it answers the way Azure does (status codes, AADSTS and ARM error
bodies, throttling with a retry-after header, RBAC), so Cloudivize meets here what it meets in Azure. The tests'
fake (tests/azure_fake.py) is this package with the tests' content.

    fake, info = demo_azure(url="https://localhost:8334")
    with AzureServer(fake, state_directory, port=8334) as server:  # server.ca_file: the CA to trust
        ...
"""

from .answers import Answer
from .demo import DemoAzureInfo, demo_azure
from .directory import (
    GRAPH_SCOPE,
    READER,
    TAG_CONTRIBUTOR,
    VM_CONTRIBUTOR,
    Application,
    FakeResource,
    FakeSubscription,
    FakeVm,
    FederatedCredential,
    KeyCredential,
    PasswordCredential,
    generate_secret,
)
from .entra import IssuerKeys
from .fake import FakeAzure
from .https import AzureServer

__all__ = [
    "GRAPH_SCOPE",
    "READER",
    "TAG_CONTRIBUTOR",
    "VM_CONTRIBUTOR",
    "Answer",
    "Application",
    "AzureServer",
    "DemoAzureInfo",
    "FakeAzure",
    "FakeResource",
    "FakeSubscription",
    "FakeVm",
    "FederatedCredential",
    "IssuerKeys",
    "KeyCredential",
    "PasswordCredential",
    "demo_azure",
    "generate_secret",
]
