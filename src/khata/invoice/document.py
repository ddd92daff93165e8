"""An invoice as its tax invoice document sees it: the one place that turns stored rows (invoice,
its lines, the seller's profile, the customer) into khata.document's TaxInvoice, whichever
dialect or file made the invoice."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from khata.customer import repository as customer_repository
from khata.document import (
    BankAccount,
    Line,
    Recipient,
    Supplier,
    TaxInvoice,
    pdf_file_name,
    render_pdf,
    single_line,
    totals_of,
)
from khata.invoice import repository
from khata.invoice.errors import InvoiceNotFound
from khata.kit.amounts import is_intra_state, split_gst
from khata.kit.gst import is_valid_gstin
from khata.models import Customer, Invoice, InvoiceLine, Seller


def supplier_of(seller: Seller) -> Supplier:
    bank = None
    if seller.bank_account_number and seller.bank_ifsc:
        bank = BankAccount(
            account_name=seller.bank_account_name or seller.legal_name,
            account_number=seller.bank_account_number,
            ifsc=seller.bank_ifsc,
            bank_name=seller.bank_name or "",
        )
    return Supplier(
        legal_name=seller.legal_name,
        address=seller.address,
        gstin=seller.gstin,
        state_code=seller.state_code,
        upi_id=seller.upi_id,
        bank_account=bank,
        authorised_signatory=seller.authorised_signatory,
        invoice_footer=seller.invoice_footer,
    )


def recipient_of(customer: Customer | None) -> Recipient:
    if customer is None:  # a row without its customer cannot happen; show it, do not fail
        return Recipient(legal_name="", address=None, gstin=None, state_code=None)
    registered = customer.pan_or_gstin if is_valid_gstin(customer.pan_or_gstin or "") else None
    address = ", ".join(part for part in (customer.address, customer.pin_code) if part) or None
    return Recipient(
        legal_name=customer.legal_name,
        address=address,
        gstin=registered,
        state_code=customer.state,
    )


def _lines(invoice: Invoice, lines: Sequence[InvoiceLine], *, intra_state: bool) -> list[Line]:
    """Each line's tax split like the invoice's own (CGST+SGST or IGST). Halving each line's tax
    can round a paisa or two away from the invoice's halving of the total; the last line takes
    that rounding difference, so the columns add up to the totals below them."""
    made: list[Line] = []
    for line in lines:
        gst = split_gst(line.tax, intra_state=intra_state)
        made.append(
            Line(
                description=line.name or line.description or line.sku or "",
                hsn_sac=line.hsn_code,
                quantity=line.quantity,
                unit_price=line.unit_price,
                taxable_value=line.amount,
                gst_rate_bp=line.tax_rate_bp,
                cgst=gst.cgst,
                sgst=gst.sgst,
                igst=gst.igst,
            )
        )
    cgst_gap = invoice.cgst - sum(line.cgst for line in made)
    sgst_gap = invoice.sgst - sum(line.sgst for line in made)
    if made and 0 < abs(cgst_gap) + abs(sgst_gap) <= 2 * len(made):
        last = made[-1]
        made[-1] = replace(last, cgst=last.cgst + cgst_gap, sgst=last.sgst + sgst_gap)
    return made


def tax_invoice(
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    *,
    seller: Seller,
    customer: Customer | None,
) -> TaxInvoice:
    """The document of one invoice; the same stored state gives the same document."""
    tax = invoice.cgst + invoice.sgst + invoice.igst
    taxable = invoice.base_amount if invoice.gst_exclusive else invoice.base_amount - tax
    place = (customer.state if customer else None) or seller.state_code
    intra = invoice.igst == 0 and is_intra_state(seller.state_code, place)
    shown = _lines(invoice, lines, intra_state=intra) if lines else []
    if not shown:
        shown = [
            single_line(
                description=invoice.description or f"Invoice {invoice.invoice_number}",
                hsn_sac=None,
                base_amount=invoice.base_amount,
                cgst=invoice.cgst,
                sgst=invoice.sgst,
                igst=invoice.igst,
                gst_exclusive=invoice.gst_exclusive,
            )
        ]
    return TaxInvoice(
        supplier=supplier_of(seller),
        recipient=recipient_of(customer),
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        place_of_supply=place,
        reverse_charge=False,
        lines=tuple(shown),
        totals=totals_of(
            taxable=taxable,
            cgst=invoice.cgst,
            sgst=invoice.sgst,
            igst=invoice.igst,
            tds=invoice.tds,
            received=invoice.total_received,
            credited=invoice.total_credited + invoice.total_written_off,
        ),
        last_changed_at=invoice.updated_at,
    )


async def load_tax_invoices(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], TaxInvoice]:
    """The documents of live invoices across sellers (a worker's batch), keyed by (seller id,
    invoice id); a deleted or unknown invoice is absent. Three statements per seller in `keys`
    (invoices, lines, customers), whatever the number of invoices."""
    wanted: dict[str, set[str]] = {}
    for seller_id, invoice_id in keys:
        wanted.setdefault(seller_id, set()).add(invoice_id)
    documents: dict[tuple[str, str], TaxInvoice] = {}
    for seller_id, invoice_ids in wanted.items():
        seller = await session.get(Seller, seller_id)
        if seller is None:
            continue
        invoices = await repository.get_invoices(session, seller_id, invoice_ids)
        lines = await repository.lines_of_invoices(session, seller_id, list(invoices))
        customers = await customer_repository.customers_by_ids(
            session, seller_id, {invoice.customer_id for invoice in invoices.values()}
        )
        for invoice in invoices.values():
            documents[(seller_id, invoice.id)] = tax_invoice(
                invoice,
                lines[invoice.id],
                seller=seller,
                customer=customers.get(invoice.customer_id),
            )
    return documents


async def load_tax_invoice(session: AsyncSession, seller: Seller, invoice: Invoice) -> TaxInvoice:
    """Reads the invoice's lines and customer (two statements) and builds its document."""
    lines = await repository.lines_of_invoices(session, seller.id, [invoice.id])
    customer = await customer_repository.get_customer(session, seller.id, invoice.customer_id)
    return tax_invoice(invoice, lines[invoice.id], seller=seller, customer=customer)


@dataclass(frozen=True)
class InvoicePdf:
    file_name: str
    content: bytes


async def invoice_pdf(session: AsyncSession, seller: Seller, invoice_id: str) -> InvoicePdf:
    """The seller's live invoice as its tax invoice PDF (InvoiceNotFound for another seller's,
    a deleted or an unknown one); the same invoice state gives the same bytes."""
    invoice = await repository.get_invoice(session, seller.id, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    doc = await load_tax_invoice(session, seller, invoice)
    # Tens of milliseconds of CPU: in a thread, so other requests are not held up meanwhile.
    content = await asyncio.to_thread(render_pdf, doc)
    return InvoicePdf(pdf_file_name(doc.invoice_number), content)
