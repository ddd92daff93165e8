"""The arithmetic of a credit note, in integer paise: how much of each GST part an amount or a
set of line quantities takes back, in the invoice's kind (CGST+SGST or IGST) and proportion.

Every share is a difference of two cumulative rounded shares, so however a whole is credited in
steps, the steps add up to exactly the whole: nothing is ever credited twice by rounding."""

from dataclasses import dataclass

from khata.kit.amounts import GstSplit, cumulative_part, share


@dataclass(frozen=True)
class InvoiceTax:
    """What the split needs of the invoice: its GST parts and value (net, GST included)."""

    cgst: int
    sgst: int
    igst: int
    net: int
    gst_exclusive: bool

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst


@dataclass(frozen=True)
class CreditParts:
    taxable: int
    cgst: int
    sgst: int
    igst: int

    @property
    def amount(self) -> int:
        return self.taxable + self.cgst + self.sgst + self.igst


def _split(tax: int, invoice: InvoiceTax, before: GstSplit) -> GstSplit:
    """`tax` in the invoice's kind; CGST takes its share of all the tax reversed so far less
    what it already took, so once every paisa of tax is reversed each part is exactly the
    invoice's own."""
    if invoice.igst > 0 or invoice.cgst + invoice.sgst == 0:
        return GstSplit(cgst=0, sgst=0, igst=tax)
    target = share(invoice.cgst, before.total + tax, invoice.cgst + invoice.sgst)
    central = max(0, min(tax, invoice.cgst - before.cgst, target - before.cgst))
    # Never more SGST than is left: the excess (a rounding paisa) goes back to CGST.
    central += max(0, (tax - central) - (invoice.sgst - before.sgst))
    return GstSplit(cgst=central, sgst=tax - central, igst=0)


def _parts(tax: int, amount: int, invoice: InvoiceTax, before: GstSplit) -> CreditParts:
    gst = _split(tax, invoice, before)
    return CreditParts(taxable=amount - tax, cgst=gst.cgst, sgst=gst.sgst, igst=gst.igst)


def by_amount(
    amount: int, invoice: InvoiceTax, *, credited_before: int, before: GstSplit
) -> CreditParts:
    """`amount` (GST included) split like the invoice: its tax is the invoice's tax share of
    everything credited so far less the tax already reversed (`before`), never more than the
    amount nor than the tax left."""
    target = share(invoice.tax, credited_before + amount, invoice.net)
    tax = max(0, min(amount, invoice.tax - before.total, target - before.total))
    return _parts(tax, amount, invoice, before)


@dataclass(frozen=True)
class LineShare:
    """What crediting `quantity` more of one invoice line takes back."""

    amount: int  # taxable value
    tax: int


def line_share(
    *, line_quantity: int, line_amount: int, line_tax: int, credited: int, quantity: int
) -> LineShare:
    """Units credited..credited+quantity of a line of `line_quantity` units."""
    after = credited + quantity
    return LineShare(
        amount=cumulative_part(line_amount, before=credited, after=after, whole=line_quantity),
        tax=cumulative_part(line_tax, before=credited, after=after, whole=line_quantity),
    )


def by_lines(shares: list[LineShare], invoice: InvoiceTax, *, before: GstSplit) -> CreditParts:
    """The lines' taxable values and tax, the tax split like the invoice's. A GST-inclusive
    invoice's line amounts hold their tax already."""
    tax = sum(share.tax for share in shares)
    value = sum(share.amount for share in shares)
    amount = value + tax if invoice.gst_exclusive else value
    return _parts(tax, amount, invoice, before)
