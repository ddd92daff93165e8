"""Every query of the payment rules."""

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import String, bindparam, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.db import Reads, dialect_of, first_row
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


@dataclass(frozen=True)
class AllocationView:
    """One invoice of a payment as the payment's answer shows it."""

    invoice_id: str
    invoice_number: str
    amount: int
    receivable_status: str
    total_received: int
    balance_amount: int


# The columns of an AllocationView, in its order: the allocation's amount and its invoice's.
_VIEW_COLUMNS = (
    ("invoice_id", Invoice.id),
    ("invoice_number", Invoice.invoice_number),
    ("amount", PaymentAllocation.amount),
    ("receivable_status", Invoice.receivable_status),
    ("total_received", Invoice.total_received),
    ("balance_amount", Invoice.balance_amount),
)


def _allocations_joined() -> Any:
    return select(*(column for _, column in _VIEW_COLUMNS)).join(
        Invoice,
        (Invoice.seller_id == PaymentAllocation.seller_id)
        & (Invoice.id == PaymentAllocation.invoice_id),
    )


async def allocation_views(
    session: AsyncSession, seller_id: str, payment_id: str
) -> list[AllocationView]:
    result = await session.execute(
        _allocations_joined()
        .where(PaymentAllocation.seller_id == seller_id, PaymentAllocation.payment_id == payment_id)
        .order_by(PaymentAllocation.id)
    )
    return [AllocationView(*row) for row in result]


def _allocations_column(dialect: str) -> Any:
    """The payment's AllocationViews as one JSON array (with the allocation id, their order)."""
    pairs: list[Any] = [literal("id"), PaymentAllocation.id]
    for name, column in _VIEW_COLUMNS:
        pairs.extend((literal(name), column))
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_object(*pairs))
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    joined = _allocations_joined().with_only_columns(aggregate)
    return (
        joined.where(
            PaymentAllocation.seller_id == Payment.seller_id,
            PaymentAllocation.payment_id == Payment.id,
        )
        .correlate(Payment)
        .scalar_subquery()
    )


def _payment_statement(dialect: str) -> Any:
    """Built once per dialect (the JSON expression is large to build for every GET). The
    reference wins over an id that happens to equal it, as in `get_by_ref` first."""
    statement = _PAYMENT_STATEMENTS.get(dialect)
    if statement is None:
        reference = bindparam("reference", type_=String)
        statement = (
            select(Payment.__table__, _allocations_column(dialect))
            .where(
                Payment.seller_id == bindparam("seller_id"),
                or_(Payment.payment_ref == reference, Payment.id == reference),
            )
            .order_by((Payment.payment_ref == reference).desc())
            .limit(1)
        )
        _PAYMENT_STATEMENTS[dialect] = statement
    return statement


_PAYMENT_STATEMENTS: dict[str, Any] = {}


async def payment_with_allocations(
    reads: Reads, seller_id: str, reference: str
) -> tuple[Payment, list[AllocationView]] | None:
    """The seller's payment by its paymentId (or its id) with its invoices, in one statement;
    None when the seller has no such payment."""
    statement = _payment_statement(dialect_of(reads))
    parameters = {"seller_id": seller_id, "reference": reference}
    row = await first_row(reads, statement, parameters)
    if row is None:
        return None
    payment = cast(Payment, row)  # a row of the payment's columns, read by the same names
    allocations = row[-1]
    if allocations is None:  # PostgreSQL's json_agg of no rows
        return payment, []
    items = json.loads(allocations) if isinstance(allocations, str) else allocations
    items = sorted(items, key=lambda item: item["id"])
    names = [name for name, _ in _VIEW_COLUMNS]
    return payment, [AllocationView(*(item[name] for name in names)) for item in items]


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
