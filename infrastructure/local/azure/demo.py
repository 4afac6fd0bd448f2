"""The demo Azure of the local stack: one directory, one application registration, one subscription "Demo".

The application has a secret (generated at each start, shown once in the info file), a certificate whose private
key is dropped at once (it stands for the customer's own, which Cloudivize never sees) and no federated identity
credential yet: the stack adds one with ``FakeAzure.add_federated_credential`` once it knows the demo
organization's audience. On "Demo" the application is Reader, Virtual Machine Contributor and Tag Contributor.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from .directory import READER, TAG_CONTRIBUTOR, VM_CONTRIBUTOR, FakeResource, FakeSubscription, FakeVm
from .fake import FakeAzure

# Fixed identifiers, so the demo reads the same from one start to the next (the secret changes).
DEMO_DIRECTORY_ID = "d3e0a1b2-c4d5-4e6f-8a7b-9c0d1e2f3a4b"
DEMO_APPLICATION_ID = "a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d"
DEMO_APPLICATION_OBJECT_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
DEMO_SUBSCRIPTION_ID = "5ab0c1d2-e3f4-4a5b-9c6d-7e8f9a0b1c2d"
DEMO_APPLICATION_NAME = "Cloudivize demo"


@dataclass(frozen=True)
class DemoAzureInfo:
    """What the local stack's info file shows of the demo Azure (the secret included: it is a local demo)."""

    directory_id: str
    application_id: str
    application_object_id: str
    subscription_id: str
    application_secret: str
    authority_url: str
    resource_manager_url: str
    graph_url: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _customer_certificate(display_name: str) -> bytes:
    """A self-signed certificate as a customer would make one; its private key is not kept (DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, display_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def demo_subscription() -> FakeSubscription:
    return FakeSubscription(
        DEMO_SUBSCRIPTION_ID,
        "Demo",
        permissions=[READER, VM_CONTRIBUTOR, TAG_CONTRIBUTOR],
        resource_groups={"web": "westeurope", "batch": "westeurope", "data": "northeurope"},
        vms=[
            FakeVm("web", "web-frontend", tags={"environment": "demo", "owner": "web-team"}),
            FakeVm("batch", "batch-worker", power="deallocated", tags={"environment": "demo"}),
            FakeVm("web", "web-staging", power="stopped", tags={"environment": "staging"}),
        ],
        resources=[
            FakeResource(
                "data", "Microsoft.Storage/storageAccounts", "demodatastore", "northeurope", {"environment": "demo"}
            ),
        ],  # fmt: skip
        directory_id=DEMO_DIRECTORY_ID,
    )


def demo_azure(*, url: str = "https://localhost:8334") -> tuple[FakeAzure, DemoAzureInfo]:
    """The demo directory served at ``url`` (Entra ID, Resource Manager and Graph share one origin)."""
    fake = FakeAzure(authority_url=url, arm_url=url)
    fake.add_directory(DEMO_DIRECTORY_ID)
    application = fake.add_application(
        DEMO_DIRECTORY_ID, DEMO_APPLICATION_ID, DEMO_APPLICATION_NAME, object_id=DEMO_APPLICATION_OBJECT_ID
    )
    secret = application.add_secret(display_name="Cloudivize")
    application.add_certificate(_customer_certificate(DEMO_APPLICATION_NAME))
    fake.add_subscription(demo_subscription())
    info = DemoAzureInfo(
        directory_id=DEMO_DIRECTORY_ID,
        application_id=DEMO_APPLICATION_ID,
        application_object_id=DEMO_APPLICATION_OBJECT_ID,
        subscription_id=DEMO_SUBSCRIPTION_ID,
        application_secret=secret,
        authority_url=url,
        resource_manager_url=url,
        graph_url=url,
    )
    return fake, info
