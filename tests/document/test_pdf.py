"""The tax invoice PDF, checked as a reader and a phone see it: its text and its QR."""

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from khata.document import TaxInvoice, render_pdf
from khata.document.upi import upi_uri
from tests.document import examples, rule46


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(doc: TaxInvoice) -> str:
    return rule46.normalised(" ".join(_pages(render_pdf(doc))))


def _qr_codes(pdf: bytes) -> list[str]:
    """What a phone reads off each page, rendered at 200 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    found: list[str] = []
    for index in range(len(document)):
        image = document[index].render(scale=200 / 72, grayscale=True).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


@pytest.mark.parametrize(
    ("make", "fields", "rows"),
    [
        (examples.intra_state, rule46.INTRA_STATE, rule46.INTRA_STATE_ROWS),
        (examples.inter_state, rule46.INTER_STATE, rule46.INTER_STATE_ROWS),
        (examples.with_tds, rule46.WITH_TDS, rule46.WITH_TDS_ROWS),
        (examples.unregistered, rule46.UNREGISTERED, rule46.UNREGISTERED_ROWS),
    ],
    ids=["intra-state", "inter-state", "tds", "unregistered"],
)
def test_the_pdf_text_holds_every_rule_46_field(
    make: Callable[[], TaxInvoice], fields: list[str], rows: list[str]
) -> None:
    assert rule46.missing(_text(make()), fields, rows) == []


def test_intra_state_supply_shows_cgst_and_sgst_inter_state_igst() -> None:
    intra, inter = _text(examples.intra_state()), _text(examples.inter_state())
    assert "CGST" in intra and "SGST" in intra and "IGST" not in intra
    assert "IGST" in inter and "CGST" not in inter and "SGST" not in inter


def test_the_same_document_gives_the_same_bytes() -> None:
    doc = examples.with_tds()
    assert render_pdf(doc) == render_pdf(examples.with_tds())


def test_the_creation_date_is_the_invoices_last_change() -> None:
    doc = examples.intra_state()
    reader = PdfReader(io.BytesIO(render_pdf(doc)))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == doc.last_changed_at
    later = replace(doc, last_changed_at=doc.last_changed_at + timedelta(seconds=1))
    assert render_pdf(later) != render_pdf(doc)


def test_a_naive_last_change_is_taken_as_utc_whatever_the_machines_zone() -> None:
    doc = examples.intra_state()
    naive = replace(doc, last_changed_at=doc.last_changed_at.replace(tzinfo=None))
    assert render_pdf(naive) == render_pdf(doc)


def test_names_outside_the_fonts_characters_still_render() -> None:
    base = examples.intra_state()
    doc = replace(base, recipient=replace(base.recipient, legal_name="राम Traders 😀 Straße"))
    text = _text(doc)
    assert "Traders" in text and "Straße" in text and "Invoice total ₹1,23,452.78" in text


@pytest.mark.parametrize("make", [examples.intra_state, examples.with_tds, examples.inter_state])
def test_the_qr_decodes_to_exactly_the_upi_uri(make: Callable[[], TaxInvoice]) -> None:
    doc = make()
    assert _qr_codes(render_pdf(doc)) == [upi_uri(doc)]
    assert "Pay with UPI" in _text(doc)


@pytest.mark.parametrize("make", [examples.without_upi, examples.with_tds_settled])
def test_no_qr_without_a_upi_id_or_with_nothing_due(make: Callable[[], TaxInvoice]) -> None:
    doc = make()
    assert _qr_codes(render_pdf(doc)) == []
    assert "Pay with UPI" not in _text(doc)


def test_thirty_lines_run_onto_a_second_page_with_totals_after_the_last_line() -> None:
    doc = examples.many_lines(30)
    pages = _pages(render_pdf(doc))
    assert len(pages) >= 2
    text = rule46.normalised(" ".join(pages))
    for index, line in enumerate(doc.lines, start=1):
        assert f"{index} {line.description} 5208 {line.quantity} " in text
    last_line = text.index(doc.lines[-1].description)
    assert text.index("Taxable value ₹46,594.55") > last_line
    assert text.index("Invoice total ₹54,981.58") > last_line
    assert "Rupees Fifty-Four Thousand Nine Hundred Eighty-One and Fifty-Eight Paise Only" in text
    assert "page 1 of 2" in pages[0] and "page 2 of 2" in pages[1]
    assert _qr_codes(render_pdf(doc)) == [upi_uri(doc)]


def test_a_table_that_runs_onto_a_new_page_repeats_its_column_titles() -> None:
    pages = _pages(render_pdf(examples.many_lines(60)))
    assert len(pages) >= 2
    for page in pages[:2]:
        assert "Description HSN/SAC Qty Unit price ₹ Taxable ₹ GST rate CGST ₹ SGST ₹" in page
    assert "(continued)" in pages[1]


def test_a_long_description_wraps_inside_its_column() -> None:
    base = examples.unregistered()
    long = "Hand-woven Kanchipuram silk saree with zari border, peacock motif, " * 3
    doc = replace(base, lines=(replace(base.lines[0], description=long.strip()),))
    assert rule46.normalised(long) in _text(doc)
