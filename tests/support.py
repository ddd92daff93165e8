"""Test helpers: a controllable clock, a statement counter, and seller/customer factories.

Factories write rows directly (not through the services under test), so each domain's tests
can build the world they need without depending on another domain's endpoints.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from khata.auth import service as auth_service
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer, KeyContact
from khata.seller import service as seller_service

# The suite's calendar: every test and factory lives on this day (12:00 in Kolkata), whatever
# the date the suite runs on. Time still moves forward by the suite's elapsed (monotonic) time,
# so rows written one after another keep their order.
PINNED_START = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
PINNED_TODAY = date(2026, 11, 21)
_STARTED = time.monotonic()


def suite_now() -> datetime:
    """The suite's "now": the pinned start plus the time the suite has run; never the calendar."""
    return PINNED_START + timedelta(seconds=time.monotonic() - _STARTED)


@dataclass
class Clock:
    """What the app believes "now" is; None means the suite's own clock (`suite_now`)."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        return self.fixed or suite_now()


@dataclass
class Database:
    backend: str  # "sqlite" | "postgresql"
    url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]


@dataclass
class SellerContext:
    seller_id: str
    token: str
    principal_id: str
    admin_email: str
    admin_password: str
    client_id: str
    client_secret: str
    state_code: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Count SQL statements sent on `engine` inside the block (transaction control and planner
    settings excluded)."""
    counter = StatementCounter()

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if head not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET"):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before_execute)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before_execute)


async def create_seller(
    database: Database,
    *,
    name: str = "Test Traders Pvt Ltd",
    state: str = "29",
    gstin: str | None = None,
    invoice_prefix: str = "INV-",
    payment_terms_days: int = 30,
) -> SellerContext:
    now = suite_now()
    async with database.session_factory() as session, session.begin():
        new = await seller_service.create_seller(
            session,
            name=name,
            state=state,
            gstin=gstin,
            invoice_prefix=invoice_prefix,
            payment_terms_days=payment_terms_days,
            now=now,
        )
        key, row = await auth_service.create_api_key(
            session, seller_id=new.seller_id, name="test integration", now=now
        )
    return SellerContext(
        seller_id=new.seller_id,
        token=key,
        principal_id=row.principal_id,
        admin_email=new.admin_email,
        admin_password=new.admin_password,
        client_id=new.client_id,
        client_secret=new.client_secret,
        state_code=state,
        headers={"accessToken": key},
    )


async def create_customer(
    database: Database,
    seller_id: str,
    *,
    legal_name: str = "Buyer Industries Ltd",
    state: str | None = "29",
    status: str = "ACTIVE",
    deleted: bool = False,
    unique_ref_no: str | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> str:
    """Insert a customer with key contacts (default: one with email on) and answer its id."""
    now = suite_now()
    customer_id = new_customer_id()
    if contacts is None:
        contacts = [{"name": "Asha Rao", "email": "asha@buyer.example", "mobile": "9876543210"}]
    async with database.session_factory() as session, session.begin():
        session.add(
            Customer(
                seller_id=seller_id,
                id=customer_id,
                legal_name=legal_name,
                state=state,
                status=status,
                deleted=deleted,
                unique_ref_no=unique_ref_no,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        for contact in contacts:
            session.add(
                KeyContact(
                    seller_id=seller_id,
                    id=new_object_id(),
                    customer_id=customer_id,
                    name=contact.get("name"),
                    email=contact.get("email"),
                    mobile=contact.get("mobile"),
                    mail_enabled=contact.get("mail_enabled", True),
                    sms_enabled=contact.get("sms_enabled", False),
                    whatsapp_enabled=contact.get("whatsapp_enabled", False),
                    deleted=False,
                    created_at=now,
                    updated_at=now,
                )
            )
    return customer_id
