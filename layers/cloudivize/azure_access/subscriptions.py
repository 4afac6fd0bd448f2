"""The subscriptions an application can see (any role on a subscription makes it visible), and which to use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from azure.core.exceptions import AzureError

from cloudivize.azure_access.clients import AzureSession
from cloudivize.azure_access.failures import translate


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    display_name: str | None
    state: str | None

    @property
    def resource_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.subscription_id})" if self.display_name else self.subscription_id


def _state(value: object) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def visible_subscriptions(session: AzureSession) -> list[Subscription]:
    """Every subscription the application holds a role on; a failure here ends the request (mapped)."""
    try:
        found = [
            Subscription(s.subscription_id, s.display_name, _state(s.state))
            for s in session.subscriptions().subscriptions.list()
        ]
    except AzureError as error:
        raise translate(error, **session.refusal_context) from None
    return sorted(found, key=lambda s: s.subscription_id)


def select(visible: Iterable[Subscription], wanted: Iterable[str] | None) -> tuple[list[Subscription], list[str]]:
    """(the visible subscriptions to use, the wanted ids that are not visible). Ids compare case-insensitively."""
    visible = list(visible)
    if wanted is None:
        return visible, []
    wanted = [w.lower() for w in wanted]
    by_id = {s.subscription_id.lower(): s for s in visible}
    return [by_id[w] for w in wanted if w in by_id], [w for w in wanted if w not in by_id]
