"""Keeping an organization connection in step with its organization: its accounts become member connections,
accounts that left are marked so (never deleted: that is the customer's act), suspended ones flagged
(docs/architecture.md, "AWS organizations").

A sync is idempotent (what it finds in place it leaves), and one at a time per organization connection: a sync
takes a lease on the connection's record (a conditional write); a second one meanwhile waits for the first and
answers its result, so two syncs at once produce one result. The outcome is recorded on the connection by
member connection ids and counts only (account ids stay in the members' sealed descriptors).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloudivize.errors import Conflict, Unprocessable
from cloudivize.metrics import count
from cloudivize.models.connections import OrganizationMember, SyncResult, SyncSummary, Verification
from cloudivize.providers.base import CloudConnection, MemberAccount, Provider
from cloudivize.repository import AlreadyExists, RecordMissing, StaleVersion
from cloudivize.store.connections import ConnectionStore
from cloudivize.store.records import AccountState, ConnectionChanges, ConnectionRecord

# A sync lists the organization and verifies its new members live; the lease outlasts the longest function
# (the schedule's, 300 s), so a sync cut short blocks the next one for this long at most.
SYNC_LEASE_SECONDS = 300
# How long a sync waits for another one under way (within the API's 29 s), and how often it looks.
SYNC_WAIT_SECONDS = 20.0
SYNC_POLL_SECONDS = 0.2
VERIFY_AT_ONCE = 8  # new members verified at once (each a few calls into its own account)
# What a member's failed check means in an organization (the check's own detail: POST /connections/{id}/verify).
WHAT_TO_FIX = {
    "role_assumable": "Cloudivize cannot assume the member role: check that the account is in one of the "
    "StackSet's target organizational units and that its stack instance deployed (auto-deployment takes a few "
    "minutes for a new account), then verify it again.",
    "trust_policy": "The member role trusts more than Cloudivize with your External ID: redeploy it from the "
    "StackSet's template.",
    "can_view": "The member role cannot list the account's assets: redeploy it from the StackSet's template.",
    "cloudtrail_session": "Cloudivize's session in the account is not named as expected: redeploy the member role.",
}


@dataclass(frozen=True)
class SyncPlan:
    """What a sync changes, by account id (member connection ids where one exists)."""

    add: list[MemberAccount] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # member connection ids
    suspended: list[str] = field(default_factory=list)
    rejoined: list[str] = field(default_factory=list)
    already_connected: list[str] = field(default_factory=list)  # connection ids outside the organization's


def plan_sync(
    accounts: Sequence[MemberAccount],
    members: Mapping[str, tuple[str, AccountState]],
    connected_elsewhere: Mapping[str, str],
) -> SyncPlan:
    """The reconciliation itself: ``accounts`` as listed now; ``members`` by account id → (member connection id,
    its account's state); ``connected_elsewhere`` by account id → a connection of the tenant, outside this
    organization connection, to the role its member would use."""
    plan = SyncPlan()
    listed = {account.account_id: account for account in accounts}
    for account in accounts:
        member = members.get(account.account_id)
        if member is None:
            if account.account_id in connected_elsewhere:
                plan.already_connected.append(connected_elsewhere[account.account_id])
            else:
                plan.add.append(account)
            continue
        connection_id, state = member
        if account.suspended and state != "suspended":
            plan.suspended.append(connection_id)
        elif not account.suspended and state != "active":
            plan.rejoined.append(connection_id)
    plan.left.extend(
        connection_id
        for account_id, (connection_id, state) in sorted(members.items())
        if account_id not in listed and state != "left"
    )
    return plan


def _now() -> datetime:
    return datetime.now(UTC)


def member_name(account: MemberAccount) -> str:
    """A member connection's name: the account's name in the organization (its id stays in the sealed
    descriptors; a name is clear metadata). Organizations allows 50 characters, a connection name 64."""
    return "".join(character for character in account.name if character.isprintable()).strip()[:64] or "Account"


class OrganizationMembers:
    """The sync of one tenant's organization connections (the caller's, or the schedule's on its behalf)."""

    def __init__(
        self,
        store: ConnectionStore,
        provider: Provider,
        *,
        user_id: str,
        cloud_connection: Callable[[ConnectionRecord], CloudConnection],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._provider = provider
        self._user_id = user_id
        self._cloud_connection = cloud_connection  # a member's record opened to act (verify it)
        self._clock, self._sleep = clock, sleep

    def sync(self, record: ConnectionRecord, connection: CloudConnection) -> SyncResult:
        """Reconcile, or wait for the sync under way and answer its result."""
        started = _now()
        deadline = self._clock() + SYNC_WAIT_SECONDS
        while True:
            now = int(self._clock())
            held = now + SYNC_LEASE_SECONDS
            if self._store.take_sync(record.connection_id, until=held, now=now):
                return self._reconcile_holding(record, connection, held)
            # Another sync holds it: its result, once recorded, is this one's too.
            self._sleep(SYNC_POLL_SECONDS)
            current = self._store.get(record.connection_id)
            if current is None:
                raise RecordMissing()
            if current.last_synced_at is not None and current.last_synced_at >= started and current.last_sync:
                return self.result(current)
            if self._clock() > deadline:
                raise Conflict(
                    "A sync of this organization is under way. Its outcome will be on the connection "
                    f"(GET /connections/{record.connection_id}, last_sync) in a moment."
                )

    def _reconcile_holding(self, record: ConnectionRecord, connection: CloudConnection, held: int) -> SyncResult:
        try:
            summary = self._reconcile(record, connection)
        except BaseException:
            self._store.finish_sync(record.connection_id, held=held, at=None, outcome=None)
            raise
        self._store.finish_sync(
            record.connection_id, held=held, at=summary.synced_at, outcome=summary.model_dump(mode="json")
        )
        count("OrganizationSynced", provider=record.provider)
        current = self._store.get(record.connection_id)
        return self.result(current if current is not None else record)

    def _reconcile(self, record: ConnectionRecord, connection: CloudConnection) -> SyncSummary:
        provider = self._provider
        found = provider.discover(connection)
        organization = provider.descriptors_type.model_validate(record.descriptors)
        learnt = provider.discovered(organization, found).to_sealed()
        if learnt != record.descriptors:
            record = self._store.update(record, ConnectionChanges(descriptors=learnt, updated_at=_now()))
        # One read of the tenant's connections of this provider: the members, and those that connect an account alone.
        connections = self._store.of_provider(record.provider)
        members = [other for other in connections if other.organization_connection_id == record.connection_id]
        by_account = {member.descriptors["account_id"]: member for member in members}
        elsewhere: dict[str, str] = {}
        identities = {
            provider.identity(provider.descriptors_type.model_validate(other.descriptors)): other.connection_id
            for other in connections
            if other.organization_connection_id != record.connection_id and other.scope == "account"
        }
        for account in found.accounts:
            identity = provider.identity(provider.member(organization, account))
            if identity in identities:
                elsewhere[account.account_id] = identities[identity]
        plan = plan_sync(
            found.accounts,
            {
                account: (member.connection_id, member.account_state or "active")
                for account, member in by_account.items()
            },
            elsewhere,
        )
        by_id = {member.connection_id: member for member in members}
        suspended = {account.account_id for account in found.accounts if account.suspended}
        added = self._add(record, organization, plan.add, suspended)
        for connection_id in plan.left:
            self._mark(by_id[connection_id], "left")
        for connection_id in plan.suspended:
            self._mark(by_id[connection_id], "suspended")
        self._verify_all([self._mark(by_id[connection_id], "active") for connection_id in plan.rejoined])
        return SyncSummary(
            synced_at=_now(),
            accounts=len(found.accounts),
            members=len(members) + len(added),
            added=added,
            left=plan.left,
            suspended=plan.suspended,
            rejoined=plan.rejoined,
            already_connected=sorted(set(plan.already_connected)),
        )

    def _add(
        self, organization: ConnectionRecord, descriptors: object, accounts: list[MemberAccount], suspended: set[str]
    ) -> list[str]:
        """A member connection per new account, each verified live (a suspended one cannot be: unverified)."""
        now = _now()
        records = [
            ConnectionRecord(
                connection_id=str(uuid.uuid4()),
                provider=organization.provider,
                name=member_name(account),
                status="unverified",
                created_at=now,
                updated_at=now,
                created_by=self._user_id,
                regions=organization.regions,
                descriptors=self._provider.member(descriptors, account).to_sealed(),
                organization_connection_id=organization.connection_id,
                account_state="suspended" if account.account_id in suspended else "active",
            )
            for account in accounts
        ]
        outcomes = self._verifications([r for r in records if r.account_state == "active"])
        for record in records:
            result = outcomes.get(record.connection_id)
            if result is not None:
                record = record.model_copy(update=_verified(result, now))
            try:
                self._store.create_member(record)
            except AlreadyExists:  # a uuid4 collision: not in this universe, but never an overwrite
                raise Conflict("Please retry the sync.") from None
        count("OrganizationMemberAdded", len(records), provider=organization.provider)
        return [record.connection_id for record in records]

    def _verifications(self, records: Sequence[ConnectionRecord]) -> dict[str, Verification]:
        if not records:
            return {}
        with ThreadPoolExecutor(max_workers=VERIFY_AT_ONCE, thread_name_prefix="member-verify") as pool:
            results = pool.map(lambda record: self._provider.verify(self._cloud_connection(record)), records)
            return {record.connection_id: result for record, result in zip(records, results, strict=True)}

    def _verify_all(self, records: Sequence[ConnectionRecord]) -> None:
        now = _now()
        for connection_id, result in self._verifications(records).items():
            record = next(r for r in records if r.connection_id == connection_id)
            self._change(record, ConnectionChanges(**_verified(result, now), updated_at=now))

    def _mark(self, member: ConnectionRecord, state: AccountState) -> ConnectionRecord:
        return self._change(member, ConnectionChanges(account_state=state, updated_at=_now()))

    def _change(self, member: ConnectionRecord, changes: ConnectionChanges) -> ConnectionRecord:
        """Write ``changes`` to a member, on its newest version (the customer may rename it meanwhile)."""
        for _ in range(3):
            try:
                return self._store.update(member, changes)
            except StaleVersion:
                newer = self._store.get(member.connection_id)
                if newer is None:
                    return member  # deleted meanwhile: the customer's choice stands
                member = newer
            except RecordMissing:
                return member
        raise Conflict("The organization's members changed during the sync; sync again.")

    def result(self, record: ConnectionRecord) -> SyncResult:
        """The last sync's outcome and every member as it stands (the same answer for every caller of one sync)."""
        if record.last_sync is None:
            raise Unprocessable("This organization connection has not been synced yet: POST its /sync.")
        summary = SyncSummary.model_validate(record.last_sync)
        members = [
            OrganizationMember(
                connection_id=member.connection_id,
                account_id=member.descriptors["account_id"],
                name=member.name,
                status=member.status,
                account_state=member.account_state or "active",
                failed_checks=member.failed_checks,
                what_to_fix=" ".join(WHAT_TO_FIX.get(check, "") for check in member.failed_checks or []).strip()
                or None,
            )
            for member in self._store.members_of(record.connection_id)
        ]
        return SyncResult(
            **summary.model_dump(), organization_connection_id=record.connection_id, member_connections=members
        )


def _verified(result: Verification, now: datetime) -> dict[str, object]:
    failed = [check.name for check in result.checks if check.required and not check.ok]
    return {
        "status": "verified" if result.ok else "failed",
        "last_verified_at": now,
        "failed_checks": failed or None,
    }
