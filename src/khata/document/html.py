"""The tax invoice as HTML: a page, and the filters that let other pages embed its macro."""

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from khata.document.figures import (
    amount_in_words,
    document_date,
    gst_rate,
    rupees,
    state_label,
)
from khata.document.model import TaxInvoice
from khata.document.upi import qr_svg, upi_uri

PAGE_TEMPLATE = "document/tax_invoice.html.j2"
# A page that embeds the invoice: {% from MACROS import tax_invoice, tax_invoice_css %}.
MACROS_TEMPLATE = "document/_tax_invoice.html.j2"


@dataclass(frozen=True)
class Payment:
    """What the page offers to pay the balance with: the UPI URI and its QR as inline SVG."""

    upi_uri: str | None
    qr_svg: Markup | None


def register(env: Environment) -> None:
    """Add the filters the invoice macro uses to an environment that embeds it."""
    env.filters.update(
        rupees=rupees,
        words=amount_in_words,
        gst_rate=gst_rate,
        state_label=state_label,
        doc_date=document_date,
    )


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("khata", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,
    )
    register(env)
    return env


def payment_of(doc: TaxInvoice) -> Payment:
    uri = upi_uri(doc)
    if uri is None:
        return Payment(upi_uri=None, qr_svg=None)
    # segno writes only its own path data and our fixed class name: safe to inline.
    return Payment(upi_uri=uri, qr_svg=Markup(qr_svg(uri)))


def render_html(doc: TaxInvoice) -> str:
    """The invoice as a self-contained HTML page: inline CSS and SVG, no external resources."""
    template = _environment().get_template(PAGE_TEMPLATE)
    return template.render(doc=doc, payment=payment_of(doc))
