"""Every query of the audit trail: batch inserts and one entity's entries."""

from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.sql import insert_records, table_columns
from khata.models import AuditEntry

_RECORD = itemgetter(*table_columns(AuditEntry.__table__))


async def insert_many(session: AsyncSession, records: Sequence[Sequence[Any]]) -> None:
    """Entries in column order, their snapshots as JSON text: one COPY (executemany on SQLite)."""
    await insert_records(session, AuditEntry.__table__, records, json_text=True)


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Entries given as column -> value (audit.service.entry_row), snapshots as Python data."""
    await insert_records(session, AuditEntry.__table__, [_RECORD(row) for row in rows])


async def entries_of(
    session: AsyncSession, *, seller_id: str, entity_type: str, entity_id: str
) -> list[AuditEntry]:
    result = await session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.seller_id == seller_id,
            AuditEntry.entity_type == entity_type,
            AuditEntry.entity_id == entity_id,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(result.scalars())


async def count_since(
    session: AsyncSession,
    *,
    seller_id: str,
    entity_type: str,
    entity_id: str,
    actor_type: str,
    since: datetime,
) -> int:
    """How many changes of one entity an actor type made from `since` on (a rate limit kept
    in the database, so every process sees the same count)."""
    result = await session.execute(
        select(func.count()).where(
            AuditEntry.seller_id == seller_id,
            AuditEntry.entity_type == entity_type,
            AuditEntry.entity_id == entity_id,
            AuditEntry.at >= since,
            AuditEntry.actor_type == actor_type,
        )
    )
    return int(result.scalar_one())
