"""The roles a member holds in an organization, in order, and what each lets them do.

Who may call a route is declared once, in the route table (``infrastructure/routes.py``, ``Needs``), and reaches
the functions as ``ROUTE_POLICY``; ``cloudivize.tenancy`` enforces it. These values are the table's, in the same
order (``tests/unit/test_roles.py``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # reads connections, assets, activity, the organization and its members
    OPERATOR = "operator"  # and runs actions on assets
    ADMIN = "admin"  # and changes connections, onboards, invites, removes, changes roles up to admin, audits
    OWNER = "owner"  # and grants or removes owner, renames or deletes the organization

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    @property
    def with_article(self) -> str:
        return f"an {self.value}" if self.value[0] in "aeiou" else f"a {self.value}"


# A route any signed-in user may call, in no organization or in any (``Needs.SIGNED_IN``).
SIGNED_IN = "signed_in"


def refusal(doing: str, needed: Role, held: Role, organization: str) -> str:
    """What a member without the role is told, e.g. "Running actions needs the operator role; you are a viewer
    in Acme."."""
    return f"{doing or 'This'} needs the {needed.value} role; you are {held.with_article} in {organization}."
