"""Credit notes as each dialect shows them; a read-side module, it also reads the invoices and
invoice lines the answers name."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.credit import repository
from khata.invoice import repository as invoice_repository
from khata.invoice.status import status_wire
from khata.kit.money import wire_paise
from khata.kit.timeutil import enkash_timestamp, iso_millis
from khata.models import CreditNote, CreditNoteLine, Invoice


@dataclass(frozen=True)
class _Shown:
    note: CreditNote
    lines: list[tuple[CreditNoteLine, str | None]]  # with the line's order line id
    invoice: Invoice


async def _load(session: AsyncSession, notes: Sequence[CreditNote]) -> list[_Shown]:
    """Each note with its lines and invoice: three statements whatever the count."""
    if not notes:
        return []
    seller_id = notes[0].seller_id
    lines = await repository.lines_of(session, seller_id, [note.id for note in notes])
    invoice_ids = sorted({note.invoice_id for note in notes})
    invoices = await invoice_repository.get_invoices(session, seller_id, invoice_ids)
    invoice_lines = await invoice_repository.lines_of_invoices(session, seller_id, invoice_ids)
    order_line_of = {
        line.id: line.order_line_id for found in invoice_lines.values() for line in found
    }
    return [
        _Shown(
            note,
            [(line, order_line_of.get(line.invoice_line_id)) for line in lines[note.id]],
            invoices[note.invoice_id],
        )
        for note in notes
        if note.invoice_id in invoices
    ]


def _ar(shown: _Shown, time_zone: str) -> dict[str, Any]:
    note, invoice = shown.note, shown.invoice
    return {
        "creditNoteId": note.id,
        "creditNoteNumber": note.credit_note_number,
        "sellerId": note.seller_id,
        "customerId": invoice.customer_id,
        "creditDate": note.credit_date.isoformat(),
        "reason": note.reason,
        "description": note.description,
        "amount": wire_paise(note.amount),
        "taxableAmount": wire_paise(note.taxable),
        "cgst": wire_paise(note.cgst),
        "sgst": wire_paise(note.sgst),
        "igst": wire_paise(note.igst),
        "lineItems": [
            {
                "id": line.id,
                "invoiceLineId": line.invoice_line_id,
                "lineItemId": order_line_id,
                "quantity": line.quantity,
                "amount": wire_paise(line.amount),
                "tax": wire_paise(line.tax),
            }
            for line, order_line_id in shown.lines
        ],
        "invoice": {
            "invoiceId": invoice.id,
            "invoiceNumber": invoice.invoice_number,
            "invoiceDate": invoice.invoice_date.isoformat(),
            "totalCredited": wire_paise(invoice.total_credited),
            "balanceAmount": wire_paise(invoice.balance_amount),
            "receivableStatus": status_wire(invoice.receivable_status),
        },
        "createdBy": note.created_by_id,
        "createdByName": note.created_by_name,
        "createdOn": enkash_timestamp(note.created_at, time_zone),
    }


async def ar_payloads(
    session: AsyncSession, notes: Sequence[CreditNote], *, time_zone: str
) -> list[dict[str, Any]]:
    """The AR payloads of credit notes of one seller, in the given order."""
    return [_ar(shown, time_zone) for shown in await _load(session, notes)]


def _commerce(shown: _Shown) -> dict[str, Any]:
    note, invoice = shown.note, shown.invoice
    return {
        "id": note.id,
        "creditNoteNumber": note.credit_note_number,
        "invoice": invoice.id,
        "invoiceNumber": invoice.invoice_number,
        "customer": invoice.customer_id,
        "date": note.credit_date.isoformat(),
        "reason": note.reason,
        "description": note.description,
        "subtotal": wire_paise(note.taxable),
        "tax": wire_paise(note.cgst + note.sgst + note.igst),
        "cgst": wire_paise(note.cgst),
        "sgst": wire_paise(note.sgst),
        "igst": wire_paise(note.igst),
        "total": wire_paise(note.amount),
        "lineItems": [
            {
                "id": line.id,
                "invoiceLineId": line.invoice_line_id,
                "lineItemId": order_line_id,
                "quantity": line.quantity,
                "amount": wire_paise(line.amount),
                "tax": wire_paise(line.tax),
            }
            for line, order_line_id in shown.lines
        ],
        "invoiceBalance": wire_paise(invoice.balance_amount),
        "invoiceStatus": invoice.receivable_status,
        "createdBy": {
            "id": note.created_by_id,
            "name": note.created_by_name,
            "type": note.created_by_type,
        },
        "createdAt": iso_millis(note.created_at),
    }


async def commerce_payload(session: AsyncSession, note: CreditNote) -> dict[str, Any]:
    (shown,) = await _load(session, [note])
    return _commerce(shown)
