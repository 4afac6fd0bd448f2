"""Azure RBAC permission evaluation: is an action allowed by the permissions an application holds at a scope.

``GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions`` answers one entry per role the caller
holds there, each with ``actions`` and ``notActions``. An action is allowed when some entry grants it and that
same entry does not exclude it (a ``notActions`` pattern only narrows its own role, never another role's grant).
Patterns are case-insensitive and ``*`` matches any run of characters, ``/`` included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def _matches(patterns: Iterable[str] | None, action: str) -> bool:
    return any(_pattern(pattern).fullmatch(action) for pattern in patterns or ())


def _field(entry: Mapping[str, Any], camel: str, snake: str) -> Sequence[str]:
    return entry.get(camel) or entry.get(snake) or ()


def allows(permissions: Iterable[Mapping[str, Any]], action: str) -> bool:
    """Whether ``action`` (e.g. ``Microsoft.Compute/virtualMachines/start/action``) is allowed."""
    return any(
        _matches(_field(entry, "actions", "actions"), action)
        and not _matches(_field(entry, "notActions", "not_actions"), action)
        for entry in permissions
    )


def missing(permissions: Iterable[Mapping[str, Any]], actions: Iterable[str]) -> list[str]:
    """The ``actions`` that are not allowed, in the order given."""
    held = list(permissions)
    return [action for action in actions if not allows(held, action)]
