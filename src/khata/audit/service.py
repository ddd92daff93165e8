"""Recording and listing audit entries: who changed what, when, with before and after."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import repository
from khata.auth.service import Caller
from khata.kit.ids import new_object_id, new_object_ids
from khata.kit.sql import table_columns
from khata.kit.timeutil import enkash_timestamp
from khata.models import AuditEntry

_COLUMNS = table_columns(AuditEntry.__table__)


class Actor(Protocol):
    """Who made a change: a principal, or a bulk job's author."""

    @property
    def id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def type(self) -> str | None: ...


def entry_row(
    *,
    principal: Actor | None,
    seller_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit entry, for a batch insert of many."""
    return {
        "seller_id": seller_id,
        "id": new_object_id(now.timestamp()),
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
        "actor_id": principal.id if principal else None,
        "actor_name": principal.name if principal else None,
        "actor_type": principal.type if principal else None,
        "at": now,
        "before": before,
        "after": after,
    }


async def record_many(
    session: AsyncSession,
    *,
    principal: Actor | None,
    seller_id: str,
    entity_type: str,
    action: str,
    now: datetime,
    entity_ids: Sequence[str],
    after: Sequence[str | None],
    before: Sequence[str | None] | None = None,
) -> None:
    """One action by one actor on many entities, as one batch insert in the current
    transaction; `after` (and `before`) hold each entity's snapshot as JSON text. Each entry
    is `entry_row`'s, put in column order a column at a time (no dict or list per entry)."""
    count = len(entity_ids)
    if not count:
        return
    shared = entry_row(
        principal=principal,
        seller_id=seller_id,
        entity_type=entity_type,
        entity_id="",
        action=action,
        now=now,
    )
    own: dict[str, Iterable[Any]] = {
        "id": new_object_ids(now.timestamp(), count),
        "entity_id": entity_ids,
        "before": before if before is not None else repeat(None, count),
        "after": after,
    }
    columns = (own[name] if name in own else repeat(shared[name], count) for name in _COLUMNS)
    records = list(zip(*columns, strict=True))
    await repository.insert_many(session, records)


def record(
    session: AsyncSession,
    *,
    caller: Caller | None,
    seller_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits or rolls back with the change)."""
    entry = AuditEntry(
        **entry_row(
            principal=caller.principal if caller else None,
            seller_id=seller_id,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            now=now,
            before=before,
            after=after,
        )
    )
    session.add(entry)
    return entry


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Only what differs: {field: {"from": old, "to": new}}."""
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


async def history(
    session: AsyncSession, *, seller_id: str, entity_type: str, entity_id: str
) -> list[AuditEntry]:
    """One entity's entries, oldest first."""
    return await repository.entries_of(
        session, seller_id=seller_id, entity_type=entity_type, entity_id=entity_id
    )


def to_wire(entry: AuditEntry, time_zone: str) -> dict[str, Any]:
    """An audit entry as the AR dialect shows it."""
    return {
        "id": entry.id,
        "entityType": entry.entity_type,
        "entityId": entry.entity_id,
        "action": entry.action,
        "changedBy": {"id": entry.actor_id, "name": entry.actor_name, "type": entry.actor_type},
        "changedOn": enkash_timestamp(entry.at, time_zone),
        "before": entry.before,
        "after": entry.after,
    }
