"""The UPI payment request for an invoice's balance, as a upi:// URI and as a QR code."""

from urllib.parse import quote

import segno

from khata.document.model import TaxInvoice


def _encode(value: str) -> str:
    """Every value fully percent-encoded, "@" of the VPA included (UPI apps decode it)."""
    return quote(value, safe="")


def _decimal_rupees(paise: int) -> str:
    rupees, fraction = divmod(paise, 100)
    return f"{rupees}.{fraction:02d}"


def upi_uri(doc: TaxInvoice) -> str | None:
    """upi://pay?pa=…&pn=…&am=…&tr=…&tn=…&cu=INR for the balance due.

    None when the seller takes no UPI (no VPA) or nothing is due.
    """
    upi_id = doc.supplier.upi_id
    if not upi_id or doc.totals.balance <= 0:
        return None
    params = (
        ("pa", upi_id),
        ("pn", doc.supplier.legal_name),
        ("am", _decimal_rupees(doc.totals.balance)),
        ("tr", doc.invoice_number),
        ("tn", f"Invoice {doc.invoice_number}"),
        ("cu", "INR"),
    )
    return "upi://pay?" + "&".join(f"{key}={_encode(value)}" for key, value in params)


# One fixed mask pattern instead of scoring all eight: any mask reads alike (the decoding test
# holds it), and the scoring was most of a PDF's render time.
_MASK = 2


def qr_code(uri: str) -> segno.QRCode:
    """Error correction M: readable off a crumpled print-out, still small for a long URI."""
    return segno.make_qr(uri, error="m", boost_error=False, mask=_MASK)


def qr_svg(uri: str) -> str:
    """The QR as an inline <svg> (no XML declaration, no size: CSS sizes it)."""
    return qr_code(uri).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="upi-qr", title="UPI QR code"
    )


def qr_dark_runs(uri: str) -> list[tuple[int, int, int]]:
    """The QR's dark modules as horizontal runs (row, first column, length), quiet zone excluded.

    A PDF draws one rectangle per run rather than per module.
    """
    runs: list[tuple[int, int, int]] = []
    for row_index, row in enumerate(qr_code(uri).matrix):
        start = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row_index, start, column - start))
                start = None
    return runs
