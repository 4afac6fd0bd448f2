"""Audit of a customer role's trust policy: only Cloudivize's principal, only with this tenant's External ID.

A pure function over the policy document, so every unsafe shape is testable without AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

ASSUME_ACTIONS = frozenset({"sts:assumerole", "sts:*", "*"})


@dataclass(frozen=True)
class TrustFinding:
    ok: bool
    detail: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    return [f"{kind}:{value}" for kind, values in principal.items() for value in _as_list(values)]


def _external_ids(statement: dict[str, Any]) -> list[str]:
    """External IDs the statement requires with an exact, case-sensitive match."""
    found: list[str] = []
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator not in ("StringEquals", "ForAnyValue:StringEquals"):
            continue
        for key, values in keys.items():
            if key.lower() == "sts:externalid":
                found += [str(value) for value in _as_list(values)]
    return found


def parse_policy(document: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    text = unquote(document) if document.lstrip().startswith("%7B") else document  # IAM may URL-encode it
    return json.loads(text)


def audit_trust_policy(document: str | dict[str, Any], principal_arn: str, external_id: str) -> list[TrustFinding]:
    """Findings, failed ones first; the role is safe for Cloudivize when every finding is ok."""
    policy = parse_policy(document)
    expected = f"AWS:{principal_arn}"
    allows = [
        s
        for s in _as_list(policy.get("Statement"))
        if s.get("Effect") == "Allow" and {a.lower() for a in _as_list(s.get("Action"))} & ASSUME_ACTIONS
    ]
    failed: list[TrustFinding] = []
    if any("NotPrincipal" in s or "NotAction" in s for s in _as_list(policy.get("Statement"))):
        failed.append(TrustFinding(False, "Remove NotPrincipal/NotAction statements: they trust more than intended."))
    for statement in allows:
        principals = _principals(statement)
        if "*" in principals or "AWS:*" in principals:
            failed.append(TrustFinding(False, f"The role trusts any principal ('*'). Trust only {principal_arn}."))
            continue
        others = sorted(p.split(":", 1)[1] for p in principals if p != expected)
        if others:
            failed.append(
                TrustFinding(
                    False,
                    f"The role also trusts {', '.join(others)}. Trust only {principal_arn} in the role you give "
                    "Cloudivize (use a separate role for anything else).",
                )
            )
        if expected in principals:
            required = _external_ids(statement)
            if not required:
                failed.append(
                    TrustFinding(
                        False,
                        "The trust policy does not require an External ID: add Condition StringEquals "
                        '"sts:ExternalId" with your organisation\'s External ID (GET /onboarding/aws).',
                    )
                )
            elif required != [external_id]:
                failed.append(
                    TrustFinding(
                        False,
                        "The trust policy's sts:ExternalId condition is not exactly your organisation's External ID "
                        "(GET /onboarding/aws shows it).",
                    )
                )
    if not any(expected in _principals(s) for s in allows):
        failed.append(TrustFinding(False, f"The trust policy does not allow {principal_arn} to assume the role."))
    if failed:
        return failed
    return [TrustFinding(True, f"Only {principal_arn} can assume the role, and only with your External ID.")]
