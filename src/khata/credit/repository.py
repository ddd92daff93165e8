"""Every query of the credit_note and credit_note_line tables, and the credit-note counter."""

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.amounts import GstSplit
from khata.models import CreditNote, CreditNoteLine, Seller


async def next_number(session: AsyncSession, seller_id: str) -> tuple[str, int]:
    """The seller's credit-note prefix and next counter value; as for invoices, the UPDATE
    keeps the seller row locked until the transaction ends (gap-free, serialised)."""
    result = await session.execute(
        update(Seller)
        .where(Seller.id == seller_id)
        .values(credit_note_counter=Seller.credit_note_counter + 1)
        .returning(Seller.credit_note_prefix, Seller.credit_note_counter)
        # The caller's Seller object is left alone: nothing else of it changes here.
        .execution_options(synchronize_session=False)
    )
    prefix, counter = result.one()
    return str(prefix), int(counter)


async def get(session: AsyncSession, seller_id: str, credit_note_id: str) -> CreditNote | None:
    return await session.get(CreditNote, (seller_id, credit_note_id))


async def of_invoice(session: AsyncSession, seller_id: str, invoice_id: str) -> list[CreditNote]:
    result = await session.execute(
        select(CreditNote)
        .where(CreditNote.seller_id == seller_id, CreditNote.invoice_id == invoice_id)
        .order_by(CreditNote.id)
    )
    return list(result.scalars())


async def of_invoices(
    session: AsyncSession, seller_id: str, invoice_ids: Sequence[str]
) -> list[CreditNote]:
    if not invoice_ids:
        return []
    result = await session.execute(
        select(CreditNote).where(
            CreditNote.seller_id == seller_id, CreditNote.invoice_id.in_(list(invoice_ids))
        )
    )
    return list(result.scalars())


async def lines_of(
    session: AsyncSession, seller_id: str, credit_note_ids: Sequence[str]
) -> dict[str, list[CreditNoteLine]]:
    found: dict[str, list[CreditNoteLine]] = {i: [] for i in credit_note_ids}
    if not credit_note_ids:
        return found
    result = await session.execute(
        select(CreditNoteLine)
        .where(
            CreditNoteLine.seller_id == seller_id,
            CreditNoteLine.credit_note_id.in_(list(credit_note_ids)),
        )
        .order_by(CreditNoteLine.id)
    )
    for line in result.scalars():
        found[line.credit_note_id].append(line)
    return found


async def credited_quantities(
    session: AsyncSession, seller_id: str, invoice_line_ids: Sequence[str]
) -> dict[str, int]:
    """Quantity already credited per invoice line."""
    if not invoice_line_ids:
        return {}
    result = await session.execute(
        select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.quantity))
        .where(
            CreditNoteLine.seller_id == seller_id,
            CreditNoteLine.invoice_line_id.in_(list(invoice_line_ids)),
        )
        .group_by(CreditNoteLine.invoice_line_id)
    )
    return {line_id: int(total) for line_id, total in result.all()}


async def reversed_gst(session: AsyncSession, seller_id: str, invoice_id: str) -> GstSplit:
    """GST already reversed on the invoice by its credit notes, per part, paise."""
    result = await session.execute(
        select(
            func.coalesce(func.sum(CreditNote.cgst), 0),
            func.coalesce(func.sum(CreditNote.sgst), 0),
            func.coalesce(func.sum(CreditNote.igst), 0),
        ).where(CreditNote.seller_id == seller_id, CreditNote.invoice_id == invoice_id)
    )
    cgst, sgst, igst = result.one()
    return GstSplit(cgst=int(cgst), sgst=int(sgst), igst=int(igst))
