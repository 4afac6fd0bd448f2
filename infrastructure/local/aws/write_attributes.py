"""Cognito's write-attribute rule for app clients, which moto leaves out.

Why: an app client may only write the attributes its ``WriteAttributes`` list (all of them when it lists none).
Cloudivize's web client lists ``email`` and ``name``, never ``custom:tenant_id``: the tenant is written only by
the post-confirmation trigger with the admin API, and every tenant check trusts the token's claim for that
reason (docs/architecture.md, "Security model"). Moto lets a signed-in user write any attribute of their own, so
without this rule the local stack would let a user move themselves into another tenant, and a test of that
refusal would prove nothing.

So, while ``client_write_attributes_enforced`` is active (the emulator's process; the unit tests of this module),
``UpdateUserAttributes`` (the access token's client) and ``SignUp`` (the client named) are refused as Cognito
refuses them: ``NotAuthorizedException``, "A client attempted to write unauthorized attribute". The admin API
(``AdminUpdateUserAttributes``, ``AdminCreateUser``) is not an app client's and stays unchecked, as in Cognito.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, cognitoidp_backends
from moto.cognitoidp.responses import CognitoIdpResponse

from infrastructure.local.aws.replaced import replaced

UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"


def _user_pools() -> Iterator[CognitoIdpUserPool]:
    # As moto finds the pool of a token or client: in every account and region.
    for account_backends in cognitoidp_backends.values():
        for region, backend in account_backends.items():
            if region != "global":
                yield from backend.user_pools.values()


def _client_of_access_token(access_token: str) -> CognitoIdpUserPoolClient | None:
    for pool in _user_pools():
        if access_token in pool.access_tokens:
            client_id, _ = pool.access_tokens[access_token]
            return pool.clients.get(client_id)
    return None


def _client(client_id: str) -> CognitoIdpUserPoolClient | None:
    return next((pool.clients[client_id] for pool in _user_pools() if client_id in pool.clients), None)


def check_write_attributes(client: CognitoIdpUserPoolClient | None, attributes: Iterable[dict[str, Any]]) -> None:
    """Raise Cognito's NotAuthorizedException when the client may not write one of the attributes."""
    if client is None:
        return  # an unknown token or client: moto answers that itself
    writable = client.extended_config.get("WriteAttributes")
    if not writable:
        return  # a client that names no write attributes may write all of them
    if any(attribute.get("Name") not in writable for attribute in attributes):
        raise NotAuthorizedError(UNAUTHORIZED_ATTRIBUTE)


@contextmanager
def client_write_attributes_enforced() -> Iterator[None]:
    """Check app clients' write attributes in this process's moto (server or ``mock_aws``) until the block ends."""
    update_user_attributes = CognitoIdpResponse.update_user_attributes
    sign_up = CognitoIdpResponse.sign_up

    def checked_update_user_attributes(self: CognitoIdpResponse) -> Any:
        client = _client_of_access_token(self._get_param("AccessToken") or "")
        check_write_attributes(client, self._get_param("UserAttributes") or [])
        return update_user_attributes(self)

    def checked_sign_up(self: CognitoIdpResponse) -> Any:
        check_write_attributes(_client(self._get_param("ClientId") or ""), self._get_param("UserAttributes") or [])
        return sign_up(self)

    with (
        replaced(CognitoIdpResponse, "update_user_attributes", checked_update_user_attributes),
        replaced(CognitoIdpResponse, "sign_up", checked_sign_up),
    ):
        yield
