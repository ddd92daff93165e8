"""Every query of the AR invoice rules (search has its own module)."""

from collections.abc import Collection, Sequence

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import Customer, Invoice, KeyContact


async def get_invoice(
    session: AsyncSession, seller_id: str, invoice_id: str, *, for_update: bool = False
) -> Invoice | None:
    """A live (not deleted) invoice of the seller; with `for_update` its row stays locked."""
    statement = select(Invoice).where(
        Invoice.seller_id == seller_id, Invoice.id == invoice_id, Invoice.deleted.is_(False)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get_invoices(
    session: AsyncSession,
    seller_id: str,
    invoice_ids: Collection[str],
    *,
    for_update: bool = False,
) -> dict[str, Invoice]:
    """Live invoices by id. Locks are taken in id order, so two writers never deadlock."""
    if not invoice_ids:
        return {}
    statement = (
        select(Invoice)
        .where(
            Invoice.seller_id == seller_id,
            Invoice.id.in_(list(invoice_ids)),
            Invoice.deleted.is_(False),
        )
        .order_by(Invoice.id)
    )
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement)
    return {invoice.id: invoice for invoice in result.scalars()}


async def get_customer(session: AsyncSession, seller_id: str, customer_id: str) -> Customer | None:
    return await session.get(Customer, (seller_id, customer_id))


async def get_customers(
    session: AsyncSession, seller_id: str, customer_ids: Collection[str]
) -> dict[str, Customer]:
    if not customer_ids:
        return {}
    result = await session.execute(
        select(Customer).where(Customer.seller_id == seller_id, Customer.id.in_(customer_ids))
    )
    return {customer.id: customer for customer in result.scalars()}


async def invoice_number_taken(
    session: AsyncSession, seller_id: str, invoice_number: str, *, except_id: str | None = None
) -> bool:
    """Deleted invoices keep their number: the unique key covers every row."""
    condition = (Invoice.seller_id == seller_id) & (Invoice.invoice_number == invoice_number)
    if except_id is not None:
        condition = condition & (Invoice.id != except_id)
    return bool((await session.execute(select(exists().where(condition)))).scalar())


async def key_contacts(
    session: AsyncSession, seller_id: str, customer_ids: Collection[str]
) -> dict[str, list[KeyContact]]:
    found: dict[str, list[KeyContact]] = {customer_id: [] for customer_id in customer_ids}
    if not customer_ids:
        return found
    result = await session.execute(
        select(KeyContact)
        .where(
            KeyContact.seller_id == seller_id,
            KeyContact.customer_id.in_(list(customer_ids)),
            KeyContact.deleted.is_(False),
        )
        .order_by(KeyContact.customer_id, KeyContact.created_at, KeyContact.id)
    )
    for contact in result.scalars():
        found[contact.customer_id].append(contact)
    return found


async def change_status_if_current(
    session: AsyncSession,
    *,
    seller_id: str,
    invoice_id: str,
    current_status: str,
    current_version: int,
    values: dict[str, object],
) -> bool:
    """Compare-and-set: the UPDATE matches only the version and status the caller saw, so of
    two concurrent changes made from the same version exactly one wins."""
    result = await session.execute(
        update(Invoice)
        .where(
            Invoice.seller_id == seller_id,
            Invoice.id == invoice_id,
            Invoice.deleted.is_(False),
            Invoice.version == current_version,
            Invoice.receivable_status == current_status,
        )
        .values(version=Invoice.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def ids_in_order(ids: Sequence[str]) -> list[str]:
    """Request ids without repeats, first occurrence first."""
    return list(dict.fromkeys(ids))
