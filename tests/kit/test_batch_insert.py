"""kit.sql.insert_records, the batch insert of bulk files and audit rows: a row it writes reads
back as the same row the ORM writes, and on SQLite it is stored as the very same values."""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from khata.kit.sql import insert_records, table_columns
from khata.models import AuditEntry
from tests.support import Database, SellerContext

AT = datetime(2025, 3, 1, 10, 0, 30, 123456, tzinfo=UTC)
SNAPSHOT = {"invoiceNumber": "B-1", "baseAmount": 1000.5, "dispatched": False, "note": "₹ ok"}


def _entry(seller_id: str, entry_id: str) -> dict[str, Any]:
    return {
        "seller_id": seller_id,
        "id": entry_id,
        "entity_type": "invoice",
        "entity_id": "inv-1",
        "action": "CREATED",
        "actor_id": None,
        "actor_name": "Bulk upload",
        "actor_type": "API_KEY",
        "at": AT,
        "before": None,
        "after": SNAPSHOT,
    }


async def test_a_batch_inserted_row_is_the_row_the_orm_writes(
    database: Database, seller: SellerContext
) -> None:
    by_orm, by_batch, by_batch_text = "a" * 24, "b" * 24, "c" * 24
    async with database.session_factory() as session, session.begin():
        session.add(AuditEntry(**_entry(seller.seller_id, by_orm)))
        await session.flush()
        columns = table_columns(AuditEntry.__table__)
        data = _entry(seller.seller_id, by_batch)
        await insert_records(session, AuditEntry.__table__, [[data[c] for c in columns]])
        as_text = {**_entry(seller.seller_id, by_batch_text), "after": json.dumps(SNAPSHOT)}
        await insert_records(
            session, AuditEntry.__table__, [[as_text[c] for c in columns]], json_text=True
        )

    async with database.session_factory() as session:
        entries = {
            entry.id: entry
            for entry in await session.scalars(
                select(AuditEntry).where(AuditEntry.seller_id == seller.seller_id)
            )
        }
        stored = {
            row[0]: tuple(row[1:])
            for row in await session.execute(
                text(
                    'SELECT id, at, "before", "after", actor_id FROM audit_entry '
                    "WHERE seller_id = :seller"
                ),
                {"seller": seller.seller_id},
            )
        }

    def read_back(entry_id: str) -> tuple[Any, ...]:
        entry = entries[entry_id]
        return (entry.at, entry.before, entry.after, entry.actor_id, entry.actor_name)

    assert read_back(by_orm) == (AT, None, SNAPSHOT, None, "Bulk upload")
    assert read_back(by_batch) == read_back(by_orm)
    assert read_back(by_batch_text) == read_back(by_orm)
    if database.backend == "sqlite":
        # The same text in every column: a date compares and sorts alike whichever path
        # wrote it, and a JSON None is stored as the ORM stores it.
        assert stored[by_batch] == stored[by_orm]
        assert stored[by_batch_text] == stored[by_orm]
