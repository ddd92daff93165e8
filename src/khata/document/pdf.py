"""The tax invoice as a PDF: A4, the shipped DejaVu Sans subset (it has ₹), a vector UPI QR.

The same document gives the same bytes: the PDF's creation date is the invoice's last change
and its file id is a hash of the content, so nothing depends on the clock or on chance.
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TextMode, XPos, YPos
from fpdf.fonts import TTFFont

from khata.document.figures import (
    amount_in_words,
    document_date,
    group_indian,
    gst_rate,
    rupees,
    state_label,
)
from khata.document.model import Line, TaxInvoice
from khata.document.upi import qr_dark_runs, upi_uri
from khata.kit.timeutil import as_utc

FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans-LatinINR.ttf"
_FONT = "DejaVuSans"
_MARGIN = 12.0
_WIDTH = 210.0 - 2 * _MARGIN
_BOTTOM = 16.0  # room for the page footer
_GREY = (90, 90, 90)
_RULE = (200, 200, 200)
_QR_SIZE = 34.0  # mm, quiet zone included


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    align: Align


def _columns(*, intra_state: bool) -> tuple[_Column, ...]:
    taxes = (
        (_Column("CGST ₹", 20, Align.R), _Column("SGST ₹", 20, Align.R))
        if intra_state
        else (_Column("IGST ₹", 24, Align.R),)
    )
    fixed = (
        _Column("#", 6, Align.L),
        _Column("HSN/SAC", 15, Align.L),
        _Column("Qty", 11, Align.R),
        _Column("Unit price ₹", 22, Align.R),
        _Column("Taxable ₹", 24, Align.R),
        _Column("GST rate", 15, Align.R),
        *taxes,
    )
    description = _Column("Description", _WIDTH - sum(c.width for c in fixed), Align.L)
    return (fixed[0], description, *fixed[1:])


class _InvoicePdf(FPDF):
    """A4 in millimetres, with the invoice number and page count in every page's footer."""

    def __init__(self, doc: TaxInvoice) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.invoice_number = doc.invoice_number
        self.title = doc.title
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)
        self.add_font(_FONT, "", str(FONT_FILE))
        # The subset fpdf2 embeds keeps each outline as it is, so the bounding boxes stored in
        # the font stay right; recomputing them decodes and re-encodes every glyph used, which
        # was a sixth of the time of a one-line invoice.
        font = self.fonts[_FONT.lower()]
        assert isinstance(font, TTFFont)
        font.ttfont.recalcBBoxes = False
        self.set_font(_FONT, size=9)
        # A naive time is UTC (as the database hands it back), never this machine's zone. No
        # XMP metadata is written: fpdf2 would stamp its ModifyDate with the clock.
        self.set_creation_date(as_utc(doc.last_changed_at))
        self.set_title(f"{doc.title} {doc.invoice_number}")
        self.set_author(doc.supplier.legal_name)
        self.set_lang("en-IN")
        self.add_page()

    def fill_rectangles(self, rectangles: Sequence[tuple[float, float, float, float]]) -> None:
        """Black rectangles (x, y, w, h in mm from the top left) as one path filled once: the
        QR's few hundred runs, without a call and a graphics-state check per rectangle."""
        k, height = self.k, self.h
        path = " ".join(
            f"{x * k:.2f} {(height - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re"
            for x, y, w, h in rectangles
        )
        self._out(f"q 0 g {path} f Q")

    def header(self) -> None:
        if self.page_no() > 1:
            with self.local_context(font_size_pt=7, text_color=_GREY):
                text = f"{self.title} {self.invoice_number} (continued)"
                self.cell(w=_WIDTH, h=6, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-_BOTTOM + 4)
        with self.local_context(font_size_pt=7, text_color=_GREY):
            text = f"{self.title} {self.invoice_number} · page {self.page_no()} of {{nb}}"
            self.cell(w=_WIDTH, h=4, text=text, align=Align.R)


@contextmanager
def _bold(pdf: FPDF) -> Iterator[None]:
    """Bold without a second font file: the glyphs are filled and stroked (half the cost)."""
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.18):
        yield


def _write(pdf: FPDF, *, x: float, w: float, text: str, h: float = 4.2, bold: bool = False) -> None:
    """Text at x, wrapped to w; a line that fits skips fpdf2's (slow) line breaker."""
    pdf.set_x(x)
    fits = "\n" not in text and pdf.get_string_width(text) <= w - 2 * pdf.c_margin
    with _bold(pdf) if bold else nullcontext():
        if fits:
            pdf.cell(w, h, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
        else:
            pdf.multi_cell(w, h, text, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _heading(pdf: FPDF, *, x: float, w: float, text: str) -> None:
    pdf.set_x(x)
    with pdf.local_context(font_size_pt=7, text_color=_GREY):
        pdf.cell(w, 4, text.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)


def _party(pdf: FPDF, *, x: float, y: float, w: float, heading: str, lines: Sequence[str]) -> float:
    """A party block (name first, in bold); answers the y below it."""
    pdf.set_y(y)
    _heading(pdf, x=x, w=w, text=heading)
    _write(pdf, x=x, w=w, text=lines[0], bold=True)
    for line in lines[1:]:
        _write(pdf, x=x, w=w, text=line)
    return pdf.get_y()


def _key_values(
    pdf: FPDF, *, x: float, y: float, widths: tuple[float, float], rows: Sequence[tuple[str, str]]
) -> float:
    pdf.set_y(y)
    for label, value in rows:
        pdf.set_x(x)
        with pdf.local_context(text_color=_GREY):
            pdf.cell(widths[0], 5, label)
        with _bold(pdf):
            pdf.cell(widths[1], 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf.get_y()


def _header(pdf: FPDF, doc: TaxInvoice) -> None:
    with _bold(pdf), pdf.local_context(font_size_pt=15):
        pdf.cell(_WIDTH, 8, doc.title.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 2
    supplier, recipient = doc.supplier, doc.recipient
    left_w, right_x = 104.0, _MARGIN + 110.0
    supplier_end = _party(
        pdf,
        x=_MARGIN,
        y=top,
        w=left_w,
        heading="Supplier",
        lines=[
            supplier.legal_name,
            *([supplier.address] if supplier.address else []),
            f"GSTIN: {supplier.gstin or 'Unregistered'}",
            f"State: {state_label(supplier.state_code)}",
        ],
    )
    meta_end = _key_values(
        pdf,
        x=right_x,
        y=top + 4,
        widths=(30.0, _WIDTH - 110.0 - 30.0),
        rows=[
            *_numbering(doc),
            ("Place of supply", state_label(doc.place_of_supply)),
            ("Reverse charge", "Yes" if doc.reverse_charge else "No"),
        ],
    )
    recipient_lines = [
        recipient.legal_name,
        *([recipient.address] if recipient.address else []),
        f"GSTIN: {recipient.gstin or 'Unregistered'}",
        *([f"State: {state_label(recipient.state_code)}"] if recipient.state_code else []),
    ]
    end = _party(
        pdf,
        x=_MARGIN,
        y=max(supplier_end, meta_end) + 3,
        w=left_w,
        heading="Recipient",
        lines=recipient_lines,
    )
    pdf.set_y(end + 4)
    if doc.credit_note is not None:
        _write(pdf, x=_MARGIN, w=_WIDTH, text=f"Reason: {doc.credit_note.reason}")
        pdf.ln(2)


def _numbering(doc: TaxInvoice) -> list[tuple[str, str]]:
    """The document's own number and date; a credit note's also the invoice it reduces."""
    note = doc.credit_note
    if note is None:
        return [
            ("Invoice No.", doc.invoice_number),
            ("Invoice date", document_date(doc.invoice_date)),
            ("Due date", document_date(doc.due_date)),
        ]
    return [
        ("Credit note No.", doc.invoice_number),
        ("Credit note date", document_date(doc.invoice_date)),
        ("Against invoice", note.invoice_number),
        ("Invoice date", document_date(note.invoice_date)),
    ]


def _table_header(pdf: FPDF, columns: Sequence[_Column]) -> None:
    with pdf.local_context(fill_color=(235, 235, 235), font_size_pt=7.5):
        for column in columns:
            pdf.cell(column.width, 6, column.title, align=column.align, fill=True)
    pdf.ln(6)


def _line_cells(index: int, line: Line, *, intra_state: bool) -> list[str]:
    taxes = (
        [group_indian(line.cgst), group_indian(line.sgst)]
        if intra_state
        else [group_indian(line.igst)]
    )
    return [
        str(index),
        line.description,
        line.hsn_sac or "",
        str(line.quantity),
        group_indian(line.unit_price),
        group_indian(line.taxable_value),
        gst_rate(line.gst_rate_bp),
        *taxes,
    ]


def _description_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """The description wrapped to its column; most fit on one line and skip the line breaker."""
    if "\n" not in text and pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    lines = pdf.multi_cell(width, 4, text, dry_run=True, output=MethodReturnValue.LINES)
    return lines if isinstance(lines, list) and lines else [text]


def _table_row(pdf: FPDF, columns: Sequence[_Column], cells: list[str], *, line_h: float) -> None:
    description = _description_lines(pdf, cells[1], columns[1].width)
    row_h = len(description) * line_h + 1.5
    if pdf.get_y() + row_h > pdf.page_break_trigger:
        pdf.add_page()
        _table_header(pdf, columns)
    top = pdf.get_y()
    for index, (column, text) in enumerate(zip(columns, cells, strict=True)):
        x = pdf.get_x()
        texts = description if index == 1 else [text]
        for offset, part in enumerate(texts):
            pdf.set_xy(x, top + offset * line_h)
            pdf.cell(column.width, line_h, part, align=column.align)
        pdf.set_xy(x + column.width, top)
    pdf.set_y(top + row_h)
    with pdf.local_context(draw_color=_RULE, line_width=0.1):
        pdf.line(_MARGIN, pdf.get_y() - 0.5, _MARGIN + _WIDTH, pdf.get_y() - 0.5)


def _lines_table(pdf: FPDF, doc: TaxInvoice) -> None:
    """The lines, the column titles repeated on every page the table runs onto."""
    columns = _columns(intra_state=doc.intra_state)
    pdf.set_font_size(7.5)
    _table_header(pdf, columns)
    for index, line in enumerate(doc.lines, start=1):
        cells = _line_cells(index, line, intra_state=doc.intra_state)
        _table_row(pdf, columns, cells, line_h=4.0)
    pdf.set_font_size(9)


def _ensure_room(pdf: FPDF, height: float) -> None:
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()


def _totals_rows(doc: TaxInvoice) -> list[tuple[str, int, bool]]:
    totals = doc.totals
    taxes = (
        [("CGST", totals.cgst, False), ("SGST", totals.sgst, False)]
        if doc.intra_state
        else [("IGST", totals.igst, False)]
    )
    if doc.credit_note is not None:
        return [
            ("Taxable value", totals.taxable, False),
            *taxes,
            ("Tax reversed", totals.cgst + totals.sgst + totals.igst, False),
            ("Credit note total", totals.net, True),
        ]
    rows = [("Taxable value", totals.taxable, False), *taxes, ("Invoice total", totals.net, True)]
    if totals.tds:
        rows += [("Less TDS", totals.tds, False), ("Amount payable", totals.payable, True)]
    if totals.received:
        rows.append(("Received", totals.received, False))
    if totals.credited:
        rows.append(("Credit notes and write-offs", totals.credited, False))
    rows.append(("Balance due", totals.balance, True))
    return rows


def _totals(pdf: FPDF, doc: TaxInvoice) -> None:
    rows = _totals_rows(doc)
    _ensure_room(pdf, len(rows) * 5.5 + 14)
    x = _MARGIN + _WIDTH - 80
    pdf.set_y(pdf.get_y() + 2)
    for label, paise, strong in rows:
        pdf.set_x(x)
        if strong:
            with _bold(pdf):
                pdf.cell(44, 5.5, label)
                pdf.cell(36, 5.5, rupees(paise), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.cell(44, 5.5, label)
            pdf.cell(36, 5.5, rupees(paise), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    words = amount_in_words(doc.totals.net)
    what = "Invoice" if doc.credit_note is None else "Credit note"
    _write(pdf, x=_MARGIN, w=_WIDTH, text=f"{what} total in words: {words}")
    pdf.ln(3)


def _qr(pdf: _InvoicePdf, uri: str, *, x: float, y: float) -> None:
    """The QR as filled rectangles, one per run of dark modules, over a white quiet zone."""
    runs = qr_dark_runs(uri)
    modules = max(row for row, _, _ in runs) + 1
    module = _QR_SIZE / (modules + 8)
    origin_x, origin_y = x + 4 * module, y + 4 * module
    pdf.fill_rectangles(
        [
            (origin_x + column * module, origin_y + row * module, length * module, module)
            for row, column, length in runs
        ]
    )
    pdf.link(x, y, _QR_SIZE, _QR_SIZE, uri)


def _payment(pdf: _InvoicePdf, doc: TaxInvoice) -> None:
    """How to pay the balance: the UPI QR (when there is one to show) and bank details."""
    uri, bank = upi_uri(doc), doc.supplier.bank_account
    if doc.credit_note is not None or (uri is None and bank is None):
        return
    _ensure_room(pdf, _QR_SIZE + 6)
    top = pdf.get_y()
    text_x = _MARGIN
    if uri is not None:
        _qr(pdf, uri, x=_MARGIN, y=top)
        text_x = _MARGIN + _QR_SIZE + 4
        pdf.set_y(top + 3)
        _write(pdf, x=text_x, w=90, text="Pay with UPI", bold=True)
        _write(pdf, x=text_x, w=90, text=f"Scan to pay {rupees(doc.totals.balance)}")
        _write(pdf, x=text_x, w=90, text=f"UPI ID: {doc.supplier.upi_id}")
    if bank is not None:
        bank_x = text_x + (70 if uri is not None else 0)
        pdf.set_y(top + 3)
        _write(pdf, x=bank_x, w=_MARGIN + _WIDTH - bank_x, text="Bank transfer", bold=True)
        for text in (
            f"Account name: {bank.account_name}",
            f"Account number: {bank.account_number}",
            f"IFSC: {bank.ifsc}",
            f"Bank: {bank.bank_name}",
        ):
            _write(pdf, x=bank_x, w=_MARGIN + _WIDTH - bank_x, text=text)
    pdf.set_y(max(pdf.get_y(), top + (_QR_SIZE if uri is not None else 0)) + 4)


def _signature(pdf: FPDF, doc: TaxInvoice) -> None:
    supplier = doc.supplier
    _ensure_room(pdf, 26)
    x, w = _MARGIN + _WIDTH - 80, 80.0
    _write(pdf, x=x, w=w, text=f"For {supplier.legal_name}", bold=True)
    pdf.ln(10)
    if supplier.authorised_signatory:
        _write(pdf, x=x, w=w, text=supplier.authorised_signatory)
    _write(pdf, x=x, w=w, text="Authorised signatory")
    if supplier.invoice_footer:
        pdf.ln(4)
        with pdf.local_context(text_color=_GREY, font_size_pt=8):
            _write(pdf, x=_MARGIN, w=_WIDTH, text=supplier.invoice_footer)


def render_pdf(doc: TaxInvoice) -> bytes:
    """The tax invoice as PDF bytes; the same document always gives the same bytes."""
    pdf = _InvoicePdf(doc)
    _header(pdf, doc)
    _lines_table(pdf, doc)
    _totals(pdf, doc)
    _payment(pdf, doc)
    _signature(pdf, doc)
    return bytes(pdf.output())


_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def pdf_file_name(invoice_number: str) -> str:
    """`<invoice number>.pdf` safe in a Content-Disposition header and on any file system:
    anything but ASCII letters, digits, dot, hyphen and underscore becomes one underscore
    (INV/2026/7 -> INV_2026_7.pdf), never a leading dot, at most 100 characters."""
    stem = _UNSAFE_IN_FILE_NAME.sub("_", invoice_number).strip("._")[:96] or "invoice"
    return f"{stem}.pdf"
