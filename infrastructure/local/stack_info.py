"""The ``--info-file``: how a running local stack is found by the CLI, tests and frontends (docs/architecture.md)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from infrastructure.local.aws.provisioning import AwsResources

DEFAULT_INFO_FILE = Path(".local-stack.json")


class StackNotFound(Exception):
    """No readable info file: the local stack is not running (or was started with another file)."""


@dataclass(frozen=True)
class StackInfo:
    api_url: str
    resources: AwsResources
    demo_username: str
    demo_password: str
    # The demo tenant's "customer" AWS account: a role that trusts the demo tenant's External ID.
    demo_role_arn: str
    demo_customer_account_id: str
    # Hosted sign-in: the managed login (the Cognito domain's stand-in), the console and its OAuth redirect, and
    # the Login with Amazon stand-in.
    auth_url: str
    oauth_redirect_uri: str
    console_url: str
    amazon_url: str
    # Beside it, a read-only role trusting the same: connected, its stop is a denied action, as AWS denies it.
    demo_read_only_role_arn: str
    # The demo Azure (ids, the application's secret, its URLs and CA file), or None when the stack calls real Azure.
    demo_azure: dict[str, str] | None = None
    # The demo AWS organization (``DemoOrganization.as_info``): its ids, the discovery role, the member accounts.
    demo_organization: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        # Flat keys: docs/architecture.md ("Local stack") names them, and `jq -r .api_url` stays simple.
        return {
            "api_url": self.api_url,
            **asdict(self.resources),
            "demo_username": self.demo_username,
            "demo_password": self.demo_password,
            "demo_role_arn": self.demo_role_arn,
            "demo_customer_account_id": self.demo_customer_account_id,
            "auth_url": self.auth_url,
            "oauth_redirect_uri": self.oauth_redirect_uri,
            "console_url": self.console_url,
            "amazon_url": self.amazon_url,
            "demo_read_only_role_arn": self.demo_read_only_role_arn,
            "demo_azure": self.demo_azure,
            "demo_organization": self.demo_organization,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackInfo:
        resources = AwsResources(**{field.name: data[field.name] for field in fields(AwsResources)})
        return cls(
            data["api_url"],
            resources,
            data["demo_username"],
            data["demo_password"],
            data["demo_role_arn"],
            data["demo_customer_account_id"],
            auth_url=data["auth_url"],
            oauth_redirect_uri=data["oauth_redirect_uri"],
            console_url=data["console_url"],
            amazon_url=data["amazon_url"],
            demo_read_only_role_arn=data["demo_read_only_role_arn"],
            demo_azure=data.get("demo_azure"),
            demo_organization=data.get("demo_organization"),
        )

    def write(self, path: Path) -> None:
        """Write atomically: a reader polling for the file never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # NamedTemporaryFile is created 0600: the file holds the demo password.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
            json.dump(self.to_json(), handle, indent=2)
            handle.write("\n")
        os.replace(handle.name, path)


def read_stack_info(path: Path) -> StackInfo:
    try:
        return StackInfo.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise StackNotFound(f"{path} does not exist: start the local stack with `make run` first.") from None
    except (ValueError, KeyError, TypeError) as error:
        raise StackNotFound(f"{path} is not a local stack info file ({error}).") from None
