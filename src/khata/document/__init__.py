"""The GST tax invoice document (CGST Rule 46): its input model, HTML and PDF renderings.

Imports nothing from khata but kit, so any domain (invoices, credit notes, the buyer page,
the dispatch worker) can build a TaxInvoice and render it.
"""

from khata.document.html import render_html
from khata.document.model import (
    BankAccount,
    CreditNoteOf,
    Line,
    Recipient,
    Supplier,
    TaxInvoice,
    Totals,
    single_line,
    totals_of,
)
from khata.document.pdf import pdf_file_name, render_pdf

__all__ = [
    "BankAccount",
    "CreditNoteOf",
    "Line",
    "Recipient",
    "Supplier",
    "TaxInvoice",
    "Totals",
    "pdf_file_name",
    "render_html",
    "render_pdf",
    "single_line",
    "totals_of",
]
