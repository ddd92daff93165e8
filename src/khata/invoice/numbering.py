"""Gap-free per-seller invoice numbers (entityId), taken inside the invoice's own transaction."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import Seller


async def allocate_entity_ids(session: AsyncSession, *, seller_id: str, count: int) -> range:
    """Reserve `count` consecutive entityIds for `seller_id`.

    One UPDATE ... RETURNING: on PostgreSQL the seller row stays locked until the transaction
    ends, so concurrent writers queue behind it, and a rollback returns the numbers (no gap).
    """
    if count <= 0:
        return range(0)
    result = await session.execute(
        update(Seller)
        .where(Seller.id == seller_id)
        .values(invoice_counter=Seller.invoice_counter + count)
        .returning(Seller.invoice_counter)
    )
    last = int(result.scalar_one())
    return range(last - count + 1, last + 1)
