"""Certificates Cloudivize issues for Azure connections: a key pair made here, the private key sealed with the
connection's credentials and never shown, the self-signed certificate given to the customer to add to their
application (Microsoft Entra accepts self-signed certificates for client assertions; it checks the signature
against the registered public key and the certificate's validity, not a chain).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cloudivize.models.connections import AzureCertificate, GraphKeyCredential

# As long as Cloudivize advises for secrets (12 months); Cloudivize warns 30 days before, and PATCH
# rotate_certificate issues the next one.
CERTIFICATE_LIFETIME = timedelta(days=365)
RSA_KEY_BITS = 2048  # what Microsoft Entra requires at least for client assertion certificates
BACKDATE = timedelta(minutes=5)  # clocks differ: valid a little before it is issued


@dataclass(frozen=True)
class IssuedCertificate:
    certificate_pem: str
    private_key_pem: str  # sealed with the connection's credentials; never in an answer, a log or an error

    def __repr__(self) -> str:
        return f"IssuedCertificate(thumbprint={thumbprint(self.certificate_pem)!r})"


def issue_certificate(application_id: str, now: datetime | None = None) -> IssuedCertificate:
    """A key pair and its certificate, named for the application it signs in as."""
    issued_at = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cloudivize"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Cloudivize for application {application_id}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued_at - BACKDATE)
        .not_valid_after(issued_at + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .sign(key, hashes.SHA256())
    )
    return IssuedCertificate(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def _load(certificate_pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(certificate_pem.encode())


def thumbprint(certificate_pem: str) -> str:
    """SHA-1 of the DER, upper-case hex: what the Azure portal and ``az ad app credential list`` show."""
    return _load(certificate_pem).fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - an identifier, as Azure's


def expires_at(certificate_pem: str) -> datetime:
    return _load(certificate_pem).not_valid_after_utc


def credential_pem(certificate_pem: str, private_key_pem: str) -> str:
    """What azure-identity's CertificateCredential reads: the private key and its certificate, PEM."""
    return private_key_pem + certificate_pem


def certificate_view(certificate_pem: str, *, application_id: str) -> AzureCertificate:
    loaded = _load(certificate_pem)
    der = loaded.public_bytes(serialization.Encoding.DER)
    print_ = thumbprint(certificate_pem)
    file_name = f"cloudivize-{print_[:8].lower()}.pem"
    return AzureCertificate(
        pem=certificate_pem,
        thumbprint=print_,
        thumbprint_sha256=loaded.fingerprint(hashes.SHA256()).hex().upper(),
        expires_at=loaded.not_valid_after_utc,
        key_credential=GraphKeyCredential(
            key=base64.b64encode(der).decode(),
            displayName=f"Cloudivize {print_[:8]}",
        ),
        command=f"az ad app credential reset --id {application_id} --cert @{file_name} --append",
    )
