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


def balance(
    *, net: int, tds: int, total_received: int, total_credited: int = 0, total_written_off: int = 0
) -> int:
    """balance = receivable - received - credited (credit notes) - written off (bad debt)."""
    return net - tds - total_received - total_credited - total_written_off


def share(total: int, part: int, whole: int) -> int:
    """`total` x part / whole, rounded half-up to the paisa (0 when whole is 0)."""
    if whole == 0:
        return 0
    return _round_half_up(Decimal(total) * part / Decimal(whole))


def split_like(tax: int, *, cgst: int, sgst: int, igst: int) -> GstSplit:
    """`tax` split in the kind and proportion of an invoice's own GST: IGST when it has IGST,
    else CGST and SGST in the invoice's ratio (equal halves give the odd paisa to CGST, as
    `split_gst`); the parts add up to `tax` exactly."""
    if igst > 0 or cgst + sgst == 0:
        return GstSplit(cgst=0, sgst=0, igst=tax) if igst > 0 or tax else GstSplit(0, 0, 0)
    central = share(tax, cgst, cgst + sgst)
    return GstSplit(cgst=central, sgst=tax - central, igst=0)


def cumulative_part(total: int, *, before: int, after: int, whole: int) -> int:
    """The part of `total` that goes with moving from `before` to `after` out of `whole` (e.g.
    the tax of crediting quantity 3..5 of a line of 10): the difference of two rounded shares,
    so the parts of successive steps add up to exactly `total` once `after` reaches `whole`."""
    return share(total, after, whole) - share(total, before, whole)


def rate_wire(basis_points: int, *, whole_as_int: bool = False) -> int | float:
    """A tax rate in basis points as the wire's percent: 1800 -> 18.0, 1250 -> 12.5.

    `whole_as_int` gives 18 rather than 18.0 for a whole rate, as the commerce dialect (seed
    000) shows it; the AR dialect always answers a float.
    """
    if whole_as_int and basis_points % 100 == 0:
        return basis_points // 100
    return basis_points / 100
