"""The schedule's sync: every organization connection of every Cloudivize organization, reconciled with its AWS
organization (``cloudivize.organization_members``), one after the other, each recorded in its organization's audit
trail as Cloudivize's own act. One that fails is logged and recorded, and the others go on."""

from __future__ import annotations

from dataclasses import dataclass

from cloudivize.audit import Entry, sync_target
from cloudivize.composition import Backend
from cloudivize.errors import CloudivizeError
from cloudivize.metrics import count
from cloudivize.observability import logger
from cloudivize.repository import SCHEDULED_SYNC_PARTITION, scheduled_sync_ids
from cloudivize.roles import Role
from cloudivize.tenancy import Caller

SYNC_ACTION = "connection.synced"  # the audit action of POST /connections/{id}/sync too (routes.py)
# Who acts when the schedule syncs: Cloudivize itself, on behalf of the organization that connected the AWS
# organization (the audit trail says so: sign-in mode "schedule").
SCHEDULE = Caller(user_id="cloudivize:schedule", username="cloudivize-schedule", email=None, sign_in_mode="schedule")


@dataclass(frozen=True)
class ScheduledSyncs:
    organizations: int
    synced: int
    failed: int


def sync_every_organization(service: Backend, request_id: str) -> ScheduledSyncs:
    synced = failed = 0
    entries = service.table.query_all(SCHEDULED_SYNC_PARTITION)
    for sort_key, _ in entries:
        tenant_id, connection_id = scheduled_sync_ids(sort_key)
        caller = SCHEDULE.model_copy(update={"tenant_id": tenant_id, "role": Role.OWNER})
        logger.append_keys(tenant_id=tenant_id, connection_id=connection_id)
        status, target = 200, {"connection_id": connection_id}
        try:
            result = service.connections(caller).sync(connection_id)
            target |= sync_target(result.model_dump(mode="json"))
            synced += 1
        except CloudivizeError as error:  # the customer's cloud refused, or the connection is gone
            status = error.status
            failed += 1
            logger.info("Scheduled sync failed", extra={"status": status, "error": type(error).__name__})
        except Exception:  # noqa: BLE001 - one organization's failure must not stop the others'
            status = 500
            failed += 1
            logger.exception("Scheduled sync failed")
        trail = service.audit_trail
        if trail is not None:
            entry = Entry(tenant_id, caller, SYNC_ACTION, target, status, request_id)
            try:
                trail.add(entry)
            except Exception as error:  # noqa: BLE001 - the sync happened: tell the operator
                logger.error("Audit event not written", extra={"action": SYNC_ACTION, "error": type(error).__name__})
                count("AuditWriteFailed")
    logger.remove_keys(["tenant_id", "connection_id"])
    count("ScheduledSyncFailed", failed)
    return ScheduledSyncs(organizations=len(entries), synced=synced, failed=failed)
