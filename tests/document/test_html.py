"""The tax invoice page: every Rule 46 field with the right figures, the UPI QR and link."""

from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from jinja2 import Environment, PackageLoader, StrictUndefined

from khata.document import TaxInvoice, render_html
from khata.document.html import MACROS_TEMPLATE, payment_of, register
from khata.document.upi import upi_uri
from tests.document import examples, rule46


class _Page(HTMLParser):
    """The page as a reader meets it: its text, its links, and what it loads from elsewhere."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []
        self.sources: list[str] = []
        self.svgs = 0
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._in_style = tag == "style"
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "svg":
            self.svgs += 1
        self.sources += [values[name] or "" for name in ("src", "srcset") if name in values]
        if tag == "link":
            self.sources.append(values.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return rule46.normalised(" ".join(self.chunks))


def _page(doc: TaxInvoice) -> _Page:
    return _Page(render_html(doc))


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
def test_the_page_shows_every_rule_46_field(
    make: Callable[[], TaxInvoice], fields: list[str], rows: list[str]
) -> None:
    assert rule46.missing(_page(make()).text, fields, rows) == []


def test_intra_state_supply_shows_cgst_and_sgst_not_igst() -> None:
    text = _page(examples.intra_state()).text
    assert "CGST" in text and "SGST" in text and "IGST" not in text


def test_inter_state_supply_shows_igst_not_cgst_or_sgst() -> None:
    text = _page(examples.inter_state()).text
    assert "IGST" in text and "CGST" not in text and "SGST" not in text


def test_no_tds_line_without_tds() -> None:
    assert "Less TDS" not in _page(examples.intra_state()).text


def test_the_qr_and_the_pay_link_carry_the_upi_request() -> None:
    doc = examples.with_tds()
    page = _page(doc)
    assert page.svgs == 1
    assert page.links == [upi_uri(doc)]
    assert "Pay with UPI" in page.text
    assert "Scan or tap to pay ₹4,80,000.00 to UPI ID kaveritex@okicici" in page.text


@pytest.mark.parametrize("make", [examples.without_upi, examples.with_tds_settled])
def test_no_qr_when_there_is_no_upi_id_or_nothing_due(make: Callable[[], TaxInvoice]) -> None:
    page = _page(make())
    assert page.svgs == 0
    assert page.links == []
    assert "Pay with UPI" not in page.text


def test_bank_details_are_shown_for_a_transfer() -> None:
    text = _page(examples.intra_state()).text
    for field in (
        "Account name Kaveri Textiles & Sons Pvt Ltd",
        "Account number 50200012345678",
        "IFSC HDFC0001234",
        "Bank HDFC Bank",
    ):
        assert field in text


def test_the_page_loads_nothing_from_elsewhere() -> None:
    html = render_html(examples.intra_state())
    assert _Page(html).sources == []
    assert "http://" not in html and "https://" not in html
    assert '<meta name="viewport"' in html


def test_names_are_escaped_not_interpreted() -> None:
    base = examples.intra_state()
    hostile = "<script>alert(1)</script> & Co"
    doc = replace(base, recipient=replace(base.recipient, legal_name=hostile))
    html = render_html(doc)
    assert "<script>" not in html
    assert hostile in _Page(html).text


def test_another_page_can_embed_the_invoice_macro() -> None:
    env = Environment(
        loader=PackageLoader("khata", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
    )
    register(env)
    template = env.from_string(
        "{% from '" + MACROS_TEMPLATE + "' import tax_invoice, tax_invoice_css %}"
        "<style>{{ tax_invoice_css() }}</style><main>{{ tax_invoice(doc, payment) }}</main>"
    )
    doc = examples.inter_state()
    page = _Page(template.render(doc=doc, payment=payment_of(doc)))
    assert rule46.missing(page.text, rule46.INTER_STATE, rule46.INTER_STATE_ROWS) == []
    assert page.links == [upi_uri(doc)]
