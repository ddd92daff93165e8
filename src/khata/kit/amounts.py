"""GST arithmetic in integer paise: line tax, the GST split, net, receivable and balance."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class LineAmounts:
    amount: int  # quantity x unit price, paise
    tax: int  # rounded half-up per line, paise


@dataclass(frozen=True)
class GstSplit:
    cgst: int
    sgst: int
    igst: int

    @property
    def total(self) -> int:
        return self.cgst + self.sgst + self.igst


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amounts(*, quantity: int, unit_price: int, tax_rate_bp: int) -> LineAmounts:
    """Tax of one line: quantity x unitPrice x taxRate / 100, rounded half-up to the paisa."""
    amount = quantity * unit_price
    tax = _round_half_up(Decimal(amount) * tax_rate_bp / Decimal(10_000))
    return LineAmounts(amount=amount, tax=tax)


def is_intra_state(seller_state: str | None, customer_state: str | None) -> bool:
    """Place of supply: an unknown customer state is taken as the seller's own."""
    return customer_state is None or seller_state is None or seller_state == customer_state


def split_gst(tax: int, *, intra_state: bool) -> GstSplit:
    """Intra-state tax is CGST + SGST in halves (an odd paisa goes to CGST); else IGST."""
    if not intra_state:
        return GstSplit(cgst=0, sgst=0, igst=tax)
    cgst = _round_half_up(Decimal(tax) / 2)
    return GstSplit(cgst=cgst, sgst=tax - cgst, igst=0)


def net_amount(*, base: int, cgst: int, sgst: int, igst: int, gst_exclusive: bool) -> int:
    """netAmount = base + GST when GST is on top (gstExclusive); else the base includes it."""
    return base + cgst + sgst + igst if gst_exclusive else base


def receivable(*, net: int, tds: int) -> int:
    return net - tds


def balance(*, net: int, tds: int, total_received: int) -> int:
    return net - tds - total_received


def rate_wire(basis_points: int, *, whole_as_int: bool = False) -> int | float:
    """A tax rate in basis points as the wire's percent: 1800 -> 18.0, 1250 -> 12.5.

    `whole_as_int` gives 18 rather than 18.0 for a whole rate, as the commerce dialect (seed
    000) shows it; the AR dialect always answers a float.
    """
    if whole_as_int and basis_points % 100 == 0:
        return basis_points // 100
    return basis_points / 100
