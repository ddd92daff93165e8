"""A credit note as its GST document sees it: the tax invoice renderer's TaxInvoice with the
credit note's number and date, the invoice it reduces, the reason, and the tax it reverses."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.credit import repository, service
from khata.customer import repository as customer_repository
from khata.document import (
    CreditNoteOf,
    Line,
    TaxInvoice,
    pdf_file_name,
    render_pdf,
    single_line,
    totals_of,
)
from khata.invoice import repository as invoice_repository
from khata.invoice.document import recipient_of, supplier_of
from khata.invoice.errors import InvoiceNotFound
from khata.kit.amounts import split_like
from khata.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine


def _lines(
    note: CreditNote, credited: Sequence[CreditNoteLine], invoice_lines: dict[str, InvoiceLine]
) -> list[Line]:
    """Each credited line with its tax split like the note's; the last line takes the paisa
    the per-line halving can round away, so the columns add up to the totals."""
    made: list[Line] = []
    for line in credited:
        source = invoice_lines[line.invoice_line_id]
        gst = split_like(line.tax, cgst=note.cgst, sgst=note.sgst, igst=note.igst)
        made.append(
            Line(
                description=source.name or source.description or source.sku or "",
                hsn_sac=source.hsn_code,
                quantity=line.quantity,
                unit_price=source.unit_price,
                taxable_value=line.amount,
                gst_rate_bp=source.tax_rate_bp,
                cgst=gst.cgst,
                sgst=gst.sgst,
                igst=gst.igst,
            )
        )
    if made:
        last = made[-1]
        made[-1] = replace(
            last,
            cgst=last.cgst + note.cgst - sum(line.cgst for line in made),
            sgst=last.sgst + note.sgst - sum(line.sgst for line in made),
        )
    return made


async def load_credit_note_document(
    session: AsyncSession, caller: Caller, note: CreditNote
) -> TaxInvoice:
    seller = caller.seller
    invoice: Invoice | None = await invoice_repository.get_invoice(
        session, seller.id, note.invoice_id
    )
    if invoice is None:  # notes keep their invoice from being deleted; shown, never a 500
        raise InvoiceNotFound(note.invoice_id)
    credited = (await repository.lines_of(session, seller.id, [note.id]))[note.id]
    invoice_lines = {
        line.id: line
        for line in (await invoice_repository.lines_of_invoices(session, seller.id, [invoice.id]))[
            invoice.id
        ]
    }
    customer = await customer_repository.get_customer(session, seller.id, invoice.customer_id)
    place = (customer.state if customer else None) or seller.state_code
    shown = _lines(note, credited, invoice_lines) or [
        single_line(
            description=note.description or f"Credit against invoice {invoice.invoice_number}",
            hsn_sac=None,
            base_amount=note.taxable,
            cgst=note.cgst,
            sgst=note.sgst,
            igst=note.igst,
            gst_exclusive=True,
        )
    ]
    return TaxInvoice(
        supplier=supplier_of(seller),
        recipient=recipient_of(customer),
        invoice_number=note.credit_note_number,
        invoice_date=note.credit_date,
        due_date=note.credit_date,
        place_of_supply=place,
        reverse_charge=False,
        lines=tuple(shown),
        totals=totals_of(
            taxable=note.taxable, cgst=note.cgst, sgst=note.sgst, igst=note.igst, tds=0, received=0
        ),
        last_changed_at=note.created_at,
        credit_note=CreditNoteOf(
            invoice_number=invoice.invoice_number,
            invoice_date=invoice.invoice_date,
            reason=note.reason,
        ),
    )


@dataclass(frozen=True)
class CreditNotePdf:
    file_name: str
    content: bytes


async def credit_note_pdf(
    session: AsyncSession, caller: Caller, credit_note_id: str
) -> CreditNotePdf:
    """The seller's credit note as its GST PDF (CreditNoteNotFound for another seller's or an
    unknown one); the same note gives the same bytes."""
    note = await service.load_credit_note(session, caller, credit_note_id)
    doc = await load_credit_note_document(session, caller, note)
    content = await asyncio.to_thread(render_pdf, doc)
    return CreditNotePdf(pdf_file_name(doc.invoice_number), content)
