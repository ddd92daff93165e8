"""A customer's statement of account as a PDF in the tax invoice's look (page, font, blocks).

The same statement gives the same bytes.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont

from khata.document.figures import document_date, rupees, state_label
from khata.document.model import Recipient, Supplier
from khata.document.pdf import (
    _BOTTOM,
    _FONT,
    _GREY,
    _MARGIN,
    _RULE,
    _WIDTH,
    FONT_FILE,
    _bold,
    _Column,
    _ensure_room,
    _party,
    _table_header,
)


@dataclass(frozen=True)
class StatementEntry:
    day: date
    kind: str  # INVOICE | PAYMENT | CREDIT_NOTE | WRITE_OFF | CLOSED
    reference: str
    debit: int  # paise
    credit: int
    balance: int


@dataclass(frozen=True)
class Statement:
    supplier: Supplier
    recipient: Recipient
    start: date
    end: date
    opening: int
    entries: tuple[StatementEntry, ...]
    closing: int
    aging: tuple[tuple[str, int], ...]  # (bucket label, paise) as of `end`


_KIND_LABELS = {
    "INVOICE": "Invoice",
    "PAYMENT": "Payment received",
    "CREDIT_NOTE": "Credit note",
    "WRITE_OFF": "Written off",
    "CLOSED": "Invoice closed",
}
_COLUMNS = (
    _Column("Date", 24, Align.L),
    _Column("Particulars", 38, Align.L),
    _Column("Reference", _WIDTH - 24 - 38 - 3 * 29, Align.L),
    _Column("Debit ₹", 29, Align.R),
    _Column("Credit ₹", 29, Align.R),
    _Column("Balance ₹", 29, Align.R),
)


class _StatementPdf(FPDF):
    """A4 in millimetres like the tax invoice, the period in every page's footer."""

    def __init__(self, doc: Statement) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.title_text = f"Statement {document_date(doc.start)} to {document_date(doc.end)}"
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
        self.add_font(_FONT, "", str(FONT_FILE))
        font = self.fonts[_FONT.lower()]
        assert isinstance(font, TTFFont)
        font.ttfont.recalcBBoxes = False
        self.set_font(_FONT, size=9)
        # Dated by the statement's last day, never the clock: the same statement, same bytes.
        self.set_creation_date(datetime.combine(doc.end, time(0), UTC))
        self.set_title(f"{self.title_text}: {doc.recipient.legal_name}")
        self.set_author(doc.supplier.legal_name)
        self.set_lang("en-IN")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-_BOTTOM + 4)
        with self.local_context(font_size_pt=7, text_color=_GREY):
            text = f"{self.title_text} · page {self.page_no()} of {{nb}}"
            self.cell(w=_WIDTH, h=4, text=text, align=Align.R)


def _header(pdf: _StatementPdf, doc: Statement) -> None:
    with _bold(pdf), pdf.local_context(font_size_pt=15):
        pdf.cell(_WIDTH, 8, "STATEMENT OF ACCOUNT", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 2
    supplier, recipient = doc.supplier, doc.recipient
    supplier_end = _party(
        pdf,
        x=_MARGIN,
        y=top,
        w=104.0,
        heading="Supplier",
        lines=[
            supplier.legal_name,
            *([supplier.address] if supplier.address else []),
            f"GSTIN: {supplier.gstin or 'Unregistered'}",
            f"State: {state_label(supplier.state_code)}",
        ],
    )
    customer_end = _party(
        pdf,
        x=_MARGIN + 110.0,
        y=top,
        w=_WIDTH - 110.0,
        heading="Customer",
        lines=[
            recipient.legal_name,
            *([recipient.address] if recipient.address else []),
            f"GSTIN: {recipient.gstin or 'Unregistered'}",
        ],
    )
    pdf.set_y(max(supplier_end, customer_end) + 3)
    with _bold(pdf):
        pdf.cell(_WIDTH, 5, pdf.title_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _row(pdf: FPDF, cells: Sequence[str], *, strong: bool = False) -> None:
    if pdf.get_y() + 5 > pdf.page_break_trigger:
        pdf.add_page()
        _table_header(pdf, _COLUMNS)
    with _bold(pdf) if strong else pdf.local_context():
        for column, text in zip(_COLUMNS, cells, strict=True):
            pdf.cell(column.width, 5, text, align=column.align)
    pdf.ln(5)
    with pdf.local_context(draw_color=_RULE, line_width=0.1):
        pdf.line(_MARGIN, pdf.get_y() - 0.3, _MARGIN + _WIDTH, pdf.get_y() - 0.3)


def _entries(pdf: FPDF, doc: Statement) -> None:
    pdf.set_font_size(8)
    _table_header(pdf, _COLUMNS)
    _row(pdf, [document_date(doc.start), "Opening balance", "", "", "", rupees(doc.opening)])
    for entry in doc.entries:
        _row(
            pdf,
            [
                document_date(entry.day),
                _KIND_LABELS.get(entry.kind, entry.kind),
                entry.reference,
                rupees(entry.debit) if entry.debit else "",
                rupees(entry.credit) if entry.credit else "",
                rupees(entry.balance),
            ],
        )
    _row(
        pdf,
        [document_date(doc.end), "Closing balance", "", "", "", rupees(doc.closing)],
        strong=True,
    )
    pdf.set_font_size(9)


def _aging(pdf: FPDF, doc: Statement) -> None:
    _ensure_room(pdf, 20)
    pdf.ln(4)
    with _bold(pdf):
        text = f"Ageing of the balance as of {document_date(doc.end)} (days past due)"
        pdf.cell(_WIDTH, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    width = _WIDTH / (len(doc.aging) + 1)
    with pdf.local_context(fill_color=(235, 235, 235), font_size_pt=7.5):
        for label, _ in doc.aging:
            pdf.cell(width, 6, label, align=Align.R, fill=True)
        pdf.cell(width, 6, "Total", align=Align.R, fill=True)
    pdf.ln(6)
    for _, paise in doc.aging:
        pdf.cell(width, 5, rupees(paise), align=Align.R)
    with _bold(pdf):
        pdf.cell(width, 5, rupees(sum(paise for _, paise in doc.aging)), align=Align.R)
    pdf.ln(8)


def render_statement_pdf(doc: Statement) -> bytes:
    """The statement as PDF bytes; the same statement always gives the same bytes."""
    pdf = _StatementPdf(doc)
    _header(pdf, doc)
    _entries(pdf, doc)
    _aging(pdf, doc)
    return bytes(pdf.output())


_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def statement_file_name(customer_name: str, start: date, end: date) -> str:
    """`statement_<customer>_<from>_<to>.pdf`, safe in a Content-Disposition header."""
    stem = _UNSAFE_IN_FILE_NAME.sub("_", customer_name).strip("._")[:60] or "customer"
    return f"statement_{stem}_{start.isoformat()}_{end.isoformat()}.pdf"
