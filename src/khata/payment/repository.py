"""Every query of the payment rules."""

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import Invoice, Payment, PaymentAllocation
from khata.models.payment import AWAITING_CONFIRMATION, PaymentStatus


async def get_by_ref(
    session: AsyncSession, seller_id: str, payment_ref: str, *, for_update: bool = False
) -> Payment | None:
    statement = select(Payment).where(
        Payment.seller_id == seller_id, Payment.payment_ref == payment_ref
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def allocations_of(
    session: AsyncSession, seller_id: str, payment_id: str
) -> list[PaymentAllocation]:
    result = await session.execute(
        select(PaymentAllocation)
        .where(PaymentAllocation.seller_id == seller_id, PaymentAllocation.payment_id == payment_id)
        .order_by(PaymentAllocation.id)
    )
    return list(result.scalars())


async def allocation_views(
    session: AsyncSession, seller_id: str, payment_id: str
) -> list[tuple[PaymentAllocation, Invoice]]:
    result = await session.execute(
        select(PaymentAllocation, Invoice)
        .join(
            Invoice,
            (Invoice.seller_id == PaymentAllocation.seller_id)
            & (Invoice.id == PaymentAllocation.invoice_id),
        )
        .where(PaymentAllocation.seller_id == seller_id, PaymentAllocation.payment_id == payment_id)
        .order_by(PaymentAllocation.id)
    )
    return [(allocation, invoice) for allocation, invoice in result]


async def pending_amounts(
    session: AsyncSession,
    seller_id: str,
    invoice_ids: Collection[str],
    *,
    except_payment_id: str | None = None,
) -> dict[str, int]:
    """Paise awaiting confirmation per invoice (other pending payments' allocations)."""
    if not invoice_ids:
        return {}
    statement = (
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
        .join(
            Payment,
            (Payment.seller_id == PaymentAllocation.seller_id)
            & (Payment.id == PaymentAllocation.payment_id),
        )
        .where(
            PaymentAllocation.seller_id == seller_id,
            PaymentAllocation.invoice_id.in_(list(invoice_ids)),
            Payment.status == PaymentStatus.PENDING_CONFIRMATION,
        )
        .group_by(PaymentAllocation.invoice_id)
    )
    if except_payment_id is not None:
        statement = statement.where(Payment.id != except_payment_id)
    result = await session.execute(statement)
    return {invoice_id: int(total) for invoice_id, total in result}


async def payments_of_invoice(
    session: AsyncSession, seller_id: str, invoice_id: str
) -> list[tuple[Payment, int]]:
    """Every payment with a share of the invoice, oldest first, with that share (paise)."""
    result = await session.execute(
        select(Payment, PaymentAllocation.amount)
        .join(
            Payment,
            (Payment.seller_id == PaymentAllocation.seller_id)
            & (Payment.id == PaymentAllocation.payment_id),
        )
        .where(PaymentAllocation.seller_id == seller_id, PaymentAllocation.invoice_id == invoice_id)
        .order_by(Payment.created_at, Payment.id)
    )
    return [(payment, int(amount)) for payment, amount in result]


async def pending_payments(
    session: AsyncSession, seller_id: str, *, limit: int, offset: int
) -> tuple[list[Payment], int]:
    """Payments awaiting the seller's confirmation, oldest first, and how many there are."""
    waiting = (Payment.seller_id == seller_id, AWAITING_CONFIRMATION)
    total = (
        await session.execute(select(func.count()).select_from(Payment).where(*waiting))
    ).scalar_one()
    result = await session.execute(
        select(Payment)
        .where(*waiting)
        .order_by(Payment.created_at, Payment.id)
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars()), int(total)


async def allocations_of_payments(
    session: AsyncSession, seller_id: str, payment_ids: Collection[str]
) -> dict[str, list[tuple[PaymentAllocation, Invoice]]]:
    """The shares of several payments with their invoices, in one statement."""
    if not payment_ids:
        return {}
    result = await session.execute(
        select(PaymentAllocation, Invoice)
        .join(
            Invoice,
            (Invoice.seller_id == PaymentAllocation.seller_id)
            & (Invoice.id == PaymentAllocation.invoice_id),
        )
        .where(
            PaymentAllocation.seller_id == seller_id,
            PaymentAllocation.payment_id.in_(list(payment_ids)),
        )
        .order_by(PaymentAllocation.id)
    )
    shares: dict[str, list[tuple[PaymentAllocation, Invoice]]] = {}
    for allocation, invoice in result:
        shares.setdefault(allocation.payment_id, []).append((allocation, invoice))
    return shares
