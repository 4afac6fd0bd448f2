"""Microsoft Graph, as much as an application needs to manage its own certificates (Application.ReadWrite.OwnedBy):
read its registration, replace its key credentials (PATCH) or add one with a proof of possession (addKey).

The caller must hold a token for the Graph scope issued to that same application.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from typing import Any

import jwt

from .answers import Answer, json_answer, service_error
from .directory import GRAPH_SCOPE, Application, AzureState, KeyCredential, load_certificate, now

# Graph's own application id: the audience of an addKey proof.
GRAPH_AUDIENCE = "00000002-0000-0000-c000-000000000000"
PROOF_LIFETIME = datetime.timedelta(minutes=10)
_APPLICATION = re.compile(
    r"/v1\.0/applications(?:/(?P<object_id>[0-9a-fA-F-]{36})|\(appId='(?P<app_id>[0-9a-fA-F-]{36})'\))"
    r"(?P<action>/addKey)?"
)


def _iso(instant: datetime.datetime) -> str:
    return instant.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_instant(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def key_credential_body(key: KeyCredential) -> dict[str, Any]:
    """A keyCredential as Graph lists it: the key bytes are not returned (``key`` is null)."""
    return {"customKeyIdentifier": key.sha1.hex().upper(), "displayName": key.display_name,
            "endDateTime": _iso(key.valid_until), "key": None, "keyId": key.key_id,
            "startDateTime": _iso(key.valid_from), "type": key.type, "usage": key.usage}  # fmt: skip


def application_body(application: Application) -> dict[str, Any]:
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
        "id": application.object_id,
        "appId": application.app_id,
        "displayName": application.display_name,
        "signInAudience": "AzureADMyOrg",
        "keyCredentials": [key_credential_body(key) for key in application.keys],
        "passwordCredentials": [
            {
                "customKeyIdentifier": None,
                "displayName": p.display_name,
                "endDateTime": _iso(p.end),
                "hint": p.hint,
                "keyId": p.key_id,
                "secretText": None,
                "startDateTime": _iso(p.start),
            }
            for p in application.passwords
        ],  # fmt: skip
    }


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.answer = service_error(status, code, message)


def _new_key_credential(given: Any) -> KeyCredential:
    """A keyCredential from a request body: an AsymmetricX509Cert for Verify, its ``key`` the base64 certificate."""
    if not isinstance(given, dict):
        raise GraphError(400, "Request_BadRequest", "A keyCredential must be an object.")
    if given.get("type") != "AsymmetricX509Cert" or given.get("usage") != "Verify":
        raise GraphError(400, "Request_BadRequest", "Only keyCredentials of type 'AsymmetricX509Cert' with usage "
                         "'Verify' are supported.")  # fmt: skip
    try:
        certificate = load_certificate(base64.b64decode(given.get("key") or "", validate=True))
    except (binascii.Error, ValueError) as error:
        raise GraphError(400, "Request_BadRequest", "Key credential's key value is not a valid certificate.") from error
    credential = KeyCredential(certificate, display_name=given.get("displayName") or "")
    try:
        credential.start = _parse_instant(given.get("startDateTime"))
        credential.end = _parse_instant(given.get("endDateTime"))
    except ValueError as error:
        raise GraphError(400, "Request_BadRequest", "Invalid startDateTime or endDateTime.") from error
    if not credential.display_name:
        credential.display_name = certificate.subject.rfc4514_string()
    return credential


class Graph:
    """The answers of Microsoft Graph for the applications in ``state``."""

    def __init__(self, state: AzureState) -> None:
        self.state = state

    def answer(self, method: str, path: str, body: bytes, authorization: str) -> Answer:
        try:
            return self._answer(method, path, body, authorization)
        except GraphError as error:
            return error.answer

    def _answer(self, method: str, path: str, body: bytes, authorization: str) -> Answer:
        token = self.state.tokens.get(authorization.removeprefix("Bearer "))
        if token is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if token.scope != GRAPH_SCOPE:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        found = _APPLICATION.fullmatch(path)
        if not found:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'.")
        if found["object_id"]:
            application = self.state.application_by_object_id(found["object_id"].lower())
        else:
            application = self.state.applications.get(found["app_id"].lower())
        if application is None or application.directory_id != token.directory_id:
            named = found["object_id"] or found["app_id"]
            raise GraphError(404, "Request_ResourceNotFound", f"Resource '{named}' does not exist or one of its "
                             "queried reference-property objects are not present.")  # fmt: skip
        if application.app_id != token.application_id:  # an application manages only its own registration
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        if found["action"] and method == "POST":
            return self._add_key(application, _json_body(body))
        if not found["action"] and method == "GET":
            return json_answer(200, application_body(application))
        if not found["action"] and method == "PATCH":
            return self._patch(application, _json_body(body))
        raise GraphError(405, "Request_BadRequest", f"The method {method} is not allowed here.")

    def _patch(self, application: Application, patch: dict[str, Any]) -> Answer:
        unknown = set(patch) - {"keyCredentials", "displayName"}
        if unknown:
            raise GraphError(400, "Request_BadRequest", f"Property '{sorted(unknown)[0]}' cannot be updated here.")
        if "keyCredentials" in patch:
            given = patch["keyCredentials"]
            if not isinstance(given, list):
                raise GraphError(400, "Request_BadRequest", "keyCredentials must be a collection.")
            application.keys = [_new_key_credential(item) for item in given]  # Graph replaces the collection
        if "displayName" in patch:
            application.display_name = str(patch["displayName"])
        return 204, {}, b""

    def _add_key(self, application: Application, request: dict[str, Any]) -> Answer:
        proof = request.get("proof")
        if not isinstance(proof, str):
            raise GraphError(400, "Request_BadRequest", "The proof parameter is required.")
        self._check_proof(application, proof)
        credential = _new_key_credential(request.get("keyCredential"))
        application.keys.append(credential)
        return json_answer(200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.keyCredential",
                                 **key_credential_body(credential)})  # fmt: skip

    def _check_proof(self, application: Application, proof: str) -> None:
        """Graph's rule: a JWT signed by one of the application's valid certificates, for Graph, by the application
        (``iss`` = its object id), valid at most 10 minutes."""
        invalid = GraphError(400, "Request_BadRequest", "Key credential proof of possession validation failed.")
        instant = now()
        for key in [k for k in application.keys if k.valid_at(instant)]:
            try:
                claims = jwt.decode(proof, key.certificate.public_key(), algorithms=["RS256", "PS256"],
                                    audience=GRAPH_AUDIENCE, issuer=application.object_id,
                                    options={"require": ["aud", "iss", "nbf", "exp"]})  # fmt: skip
            except jwt.InvalidSignatureError:
                continue  # signed by another of the application's certificates, or by none
            except jwt.PyJWTError as error:
                raise invalid from error
            if claims["exp"] - claims["nbf"] > PROOF_LIFETIME.total_seconds():
                raise invalid
            return
        raise invalid


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError as error:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from error
    if not isinstance(parsed, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    return parsed
