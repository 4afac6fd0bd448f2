"""The registry of providers: the one list of the clouds Cloudivize connects.

Each provider's package is imported when a connection of that cloud is first used, so an AWS-only function
never loads the Azure SDK (cold start). Adding a provider: a package with a ``provider`` module exposing
``make_provider(config, principal)``, and one line here. Every provider of a container shares its one
``Principal``: one broker session reaches customers' AWS roles and mints the web identity tokens Azure trusts.
"""

from __future__ import annotations

import importlib
import threading

from cloudivize.config import FunctionConfig
from cloudivize.principal import Principal
from cloudivize.providers.base import Provider

# provider name -> the module whose make_provider(config, principal) builds it
PROVIDER_MODULES: dict[str, str] = {
    "aws": "cloudivize.aws_access.provider",
    "azure": "cloudivize.azure_access.provider",
}


class Providers:
    """The providers of one warm container, each built once (they hold its warm sessions and clients)."""

    def __init__(self, config: FunctionConfig) -> None:
        self._config = config
        self._principal = Principal(config.customer_access_role_arn, config.region)
        self._built: dict[str, Provider] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Provider:
        with self._lock:
            if name not in self._built:
                module = importlib.import_module(PROVIDER_MODULES[name])
                self._built[name] = module.make_provider(self._config, self._principal)
            return self._built[name]
