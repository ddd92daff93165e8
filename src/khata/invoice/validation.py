"""Input checks shared by the AR invoice paths: amounts to paise and the GST/date rules."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from khata.kit import amounts
from khata.kit.errors import FieldError
from khata.kit.money import MoneyError, parse_amount, to_paise, wire_paise

MIN_BASE_PAISE = 10  # baseAmount >= 0.1


def amount_paise(
    field: str, value: Any, errors: list[FieldError], *, required: bool = False
) -> int | None:
    """Paise of an amount field, or None (absent, or an error appended to `errors`)."""
    if value is None:
        if required:
            errors.append(FieldError(field, "is required", None))
        return None
    try:
        amount, _rounded = parse_amount(value)
    except MoneyError as exc:
        errors.append(FieldError(field, str(exc), _json_safe(value)))
        return None
    return to_paise(amount)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


@dataclass(frozen=True)
class InvoiceAmounts:
    base: int
    cgst: int
    sgst: int
    igst: int
    tds: int
    gst_exclusive: bool

    @property
    def net(self) -> int:
        return amounts.net_amount(
            base=self.base,
            cgst=self.cgst,
            sgst=self.sgst,
            igst=self.igst,
            gst_exclusive=self.gst_exclusive,
        )

    @property
    def receivable(self) -> int:
        return amounts.receivable(net=self.net, tds=self.tds)


def check_amounts(values: InvoiceAmounts, errors: list[FieldError]) -> None:
    """The rules across amount fields (each field is already a valid non-negative amount)."""
    if values.base < MIN_BASE_PAISE:
        errors.append(FieldError("baseAmount", "must be at least 0.1", wire_paise(values.base)))
    if values.igst and (values.cgst or values.sgst):
        errors.append(
            FieldError(
                "igst", "cannot be combined with cgst/sgst on one invoice", wire_paise(values.igst)
            )
        )
    if values.cgst != values.sgst:
        errors.append(FieldError("sgst", "must equal cgst", wire_paise(values.sgst)))
    if values.tds > values.net:
        errors.append(FieldError("tds", "cannot exceed the net amount", wire_paise(values.tds)))


def check_dates(invoice_date: date, due_date: date, errors: list[FieldError]) -> None:
    if due_date < invoice_date:
        errors.append(
            FieldError("dueDate", "must be on or after invoiceDate", due_date.isoformat())
        )
