"""``FakeAzure``: the state of the demo Azure and one entry point for every HTTP request it answers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .answers import Answer
from .directory import AzureState
from .entra import Entra, IssuerKeys
from .graph import Graph
from .resource_manager import ResourceManager


class FakeAzure(AzureState):
    """Entra ID (discovery, token endpoint), Resource Manager and Microsoft Graph, answering from one state.

    ``handle`` is the wire-independent entry: ``AzureServer`` serves it over HTTPS, tests may call it through
    azure-core's pluggable transport. Its paths are the services' own, so one origin serves all three.
    """

    def __init__(self, *, issuer_keys: IssuerKeys | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entra = Entra(self, issuer_keys)
        self.resource_manager = ResourceManager(self)
        self.graph = Graph(self)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        # One request at a time: state changes (power, tags, keys) stay consistent. A federated sign-in fetches its
        # issuer's keys under the lock; the issuer is never this server, so that cannot wait on itself.
        with self.lock:
            if found := re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", parts.path):
                return self.entra.openid_configuration(found[1])
            if found := re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", parts.path):
                form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                return self.entra.token(found[1], form | {"host": parts.netloc})
            if parts.path.startswith("/v1.0/"):
                return self.graph.answer(method, unquote(parts.path), body, authorization)  # appId='…' may come encoded
            return self.resource_manager.answer(method, parts.path, query, body, authorization)
