"""Sessions in customers' accounts: AssumeRole with the tenant's External ID as ``Cloudivize-Session``.

Credentials are kept in memory only, reused until shortly before they expire, and never logged or stored.
When the stack defines the customer-access role, it is assumed first: it is the one principal customers
trust, and its own policy only lets it open sessions named ``Cloudivize-Session`` with an External ID.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudivize.aws_access import SESSION_NAME
from cloudivize.aws_access.failures import cannot_assume, error_code
from cloudivize.metrics import count
from cloudivize.observability import logger

SESSION_SECONDS = 900  # the shortest AWS allows: a leaked credential dies quickly
REFRESH_BEFORE = timedelta(minutes=3)
BROKER_SESSION_NAME = "Cloudivize-Broker"
# Standard retries back off on throttling before we give up and answer 503.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
_SOURCE_IDENTITY_UNSAFE = re.compile(r"[^\w+=,.@-]")


@dataclass(frozen=True)
class CustomerSession:
    role_arn: str
    assumed_arn: str  # what the customer sees in CloudTrail: ...:assumed-role/<role>/Cloudivize-Session
    source_identity: str | None  # the signed-in user, when the role's trust policy allows setting it
    expires_at: datetime
    session: boto3.Session = field(repr=False)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region_name=region, config=CLIENT_CONFIG)


def source_identity_for(user_id: str) -> str:
    """AWS allows 2-64 characters of [\\w+=,.@-] in a SourceIdentity."""
    cleaned = _SOURCE_IDENTITY_UNSAFE.sub("-", user_id)[:64]
    return cleaned if len(cleaned) >= 2 else f"u-{cleaned}"


def _fresh(expires_at: datetime) -> bool:
    return expires_at - datetime.now(UTC) > REFRESH_BEFORE


def _session(credentials: dict[str, Any]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


class CustomerSessions:
    """Assumes and caches sessions in customer accounts (one cache per warm container)."""

    def __init__(self, access_role_arn: str | None, region: str) -> None:
        self._access_role_arn = access_role_arn
        self._region = region
        self._lock = threading.Lock()
        self._broker: tuple[boto3.Session, datetime] | None = None
        self._sessions: dict[str, CustomerSession] = {}

    @property
    def principal_arn(self) -> str | None:
        return self._access_role_arn

    def _sts(self, session: boto3.Session | None = None) -> Any:
        return (session or boto3.Session()).client("sts", region_name=self._region, config=CLIENT_CONFIG)

    def _broker_sts(self) -> Any:
        if self._access_role_arn is None:
            return self._sts()
        if self._broker is None or not _fresh(self._broker[1]):
            credentials = self._sts().assume_role(
                RoleArn=self._access_role_arn, RoleSessionName=BROKER_SESSION_NAME, DurationSeconds=3600
            )["Credentials"]
            self._broker = (_session(credentials), credentials["Expiration"])
        return self._sts(self._broker[0])

    def open(self, *, tenant_id: str, user_id: str, role_arn: str, external_id: str) -> CustomerSession:
        # Keyed by a digest: the External ID must not sit in clear in a dict that a debugger or dump could print.
        key = hashlib.sha256(f"{tenant_id}\0{user_id}\0{role_arn}\0{external_id}".encode()).hexdigest()
        with self._lock:
            cached = self._sessions.get(key)
            if cached and _fresh(cached.expires_at):
                return cached
            session = self._assume(user_id=user_id, role_arn=role_arn, external_id=external_id)
            self._sessions[key] = session
            return session

    def _assume(self, *, user_id: str, role_arn: str, external_id: str) -> CustomerSession:
        sts = self._broker_sts()
        request = {
            "RoleArn": role_arn,
            "RoleSessionName": SESSION_NAME,
            "ExternalId": external_id,
            "DurationSeconds": SESSION_SECONDS,
        }
        source_identity: str | None = source_identity_for(user_id)
        try:
            try:
                response = sts.assume_role(**request, SourceIdentity=source_identity)
            except ClientError as error:
                if error_code(error) != "AccessDenied":
                    raise
                # The trust policy may not allow sts:SetSourceIdentity: try once without it.
                source_identity = None
                response = sts.assume_role(**request)
        except ClientError as error:
            logger.info("AssumeRole refused", extra={"aws_error": error_code(error)})
            count("AssumeRoleRefused", provider="aws")
            raise cannot_assume(role_arn, self._access_role_arn, error) from None
        credentials = response["Credentials"]
        return CustomerSession(
            role_arn=role_arn,
            assumed_arn=response["AssumedRoleUser"]["Arn"],
            source_identity=source_identity,
            expires_at=credentials["Expiration"],
            session=_session(credentials),
        )
