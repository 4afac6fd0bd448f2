"""The demo Azure over HTTPS on loopback: a CA made at start, a server certificate it signs for localhost and
127.0.0.1, and a threaded server answering Entra ID, Resource Manager and Graph on one port.

Only the CA file is shared (with whoever should trust this server); its key lives in memory and dies with it.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .fake import FakeAzure

CA_FILE_NAME = "demo-azure-ca.pem"


def _certificates(lifetime: datetime.timedelta) -> tuple[bytes, bytes, bytes]:
    """(CA certificate PEM, server certificate PEM, server key PEM): the server's certificate is signed by the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + lifetime
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Demo Azure local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key = server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), server.public_bytes(pem), key


def _server_context(certificate: bytes, key: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # ssl loads a chain only from files: a private temporary directory, removed as soon as it is loaded.
    with tempfile.TemporaryDirectory() as scratch:
        cert_file, key_file = Path(scratch) / "server.pem", Path(scratch) / "server.key"
        cert_file.write_bytes(certificate)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key)
        context.load_cert_chain(cert_file, key_file)
    return context


class AzureServer:
    """``fake`` over HTTPS at ``url`` (``https://localhost:<port>``; port 0 = a free one), trusted through ``ca_file``.

    The fake's authority and Resource Manager URLs become the server's: it answers where it is served.
    Use as a context manager, or ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        fake: FakeAzure,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ca_file_name: str = CA_FILE_NAME,
        lifetime: datetime.timedelta = datetime.timedelta(days=1),
    ) -> None:
        self.fake = fake
        ca, certificate, key = _certificates(lifetime)
        self.ca_file = Path(directory) / ca_file_name
        self.ca_file.write_bytes(ca)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.socket = _server_context(certificate, key).wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"https://localhost:{self.port}"
        fake.authority_url = fake.arm_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-azure", daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stall between them

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
                return None  # request lines would carry tokens' paths; the fake records what tests need

        return Handler

    def start(self) -> AzureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> AzureServer:
        return self.start()

    def __exit__(self, *args: object) -> None:
        self.stop()
