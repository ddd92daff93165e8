"""Checking one invoice row (and one items-sheet row) of a bulk file on its own."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from khata.bulk.files import cell_text
from khata.customer.schemas import EMAIL_MESSAGE, EMAIL_RE, PHONE_MESSAGE, PHONE_RE
from khata.invoice.validation import (
    MIN_BASE_PAISE,
    InvoiceAmounts,
    check_amounts,
    check_dates,
)
from khata.kit.errors import FieldError
from khata.kit.money import MAX_AMOUNT, MoneyError, parse_amount, to_paise, wire_paise

INVOICE_FIELDS = (
    "invoiceNumber",
    "customerId",
    "invoiceDate",
    "dueDate",
    "baseAmount",
    "cgst",
    "sgst",
    "igst",
    "tds",
    "gstExclusive",
    "partialPaymentAllowed",
    "description",
    "poNumber",
    "externalId",
    "emailAddress",
    "mobileNumber",
    "dispatchNow",
)
INVOICE_REQUIRED = ("invoiceNumber", "customerId", "invoiceDate", "dueDate", "baseAmount")
ITEM_FIELDS = ("invoiceNumber", "description", "hsnCode", "quantity", "unitPrice", "gstRate")
ITEM_REQUIRED = ("invoiceNumber", "quantity", "unitPrice")
MAX_QUANTITY = 1_000_000_000  # as an order line (order.schemas)
MAX_PAISE = to_paise(MAX_AMOUNT)  # one line's quantity x unitPrice, like any single amount

_TEXT_LIMITS = {
    "invoiceNumber": 64,
    "customerId": 16,
    "description": 1000,
    "poNumber": 100,
    "externalId": 100,
    "emailAddress": 254,
}
_HSN_RE = re.compile(r"^\d{4,8}$")
_TRUE = frozenset({"true", "yes", "1", "y"})
_FALSE = frozenset({"false", "no", "0", "n"})
_EXCEL_EPOCH = date(1899, 12, 30)
# At most 12 whole digits: every such amount is within kit.money.MAX_AMOUNT (999999999999.99),
# so the fast path never takes what parse_amount would refuse; longer numbers go the slow way.
_PLAIN_AMOUNT = re.compile(r"\s*(\d{1,12})(?:\.(\d{1,2}))?\s*\Z")


@dataclass(slots=True)
class InvoiceRow:
    """A row that passed its own checks; customer and uniqueness are checked per batch."""

    invoice_number: str
    customer_id: str
    invoice_date: date
    due_date: date
    base_amount: int
    cgst: int
    sgst: int
    igst: int
    tds: int
    gst_exclusive: bool
    partial_payment_allowed: bool
    description: str | None
    po_number: str | None
    external_id: str | None
    email_address: str | None
    mobile_number: str | None
    dispatch_now: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class ItemRow:
    invoice_number: str
    description: str | None
    hsn_code: str | None
    quantity: int
    unit_price: int
    tax_rate_bp: int


def parse_date(value: Any) -> date:
    """yyyy-MM-dd, dd-MM-yyyy, dd/MM/yyyy, or a spreadsheet date (cell or serial number)."""
    if type(value) is str:  # a CSV cell: skip the type checks below (a sheet's cells)
        return _parse_date_text(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError
    return _parse_date_text(str(value))


def _parse_date_text(value: str) -> date:
    text = value.strip()
    if len(text) == 10:
        if text[4] == "-" and text[7] == "-":
            return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        if text[2] in "-/" and text[5] == text[2]:
            return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    # A datetime cell echoed as text by some spreadsheets: "2025-01-31 00:00:00".
    if len(text) == 19 and text[4] == "-" and text[10] == " ":
        return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    raise ValueError


def parse_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowChecker:
    """Collects every problem and warning of one row instead of stopping at the first."""

    def __init__(self, cells: list[Any], columns: dict[str, int]) -> None:
        self.cells = cells
        self.columns = columns
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def raw(self, name: str) -> Any:
        index = self.columns.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw(name)
        text = value.strip() if type(value) is str else cell_text(value)
        if not text:
            if required:
                self.errors.append(f"{name}: is required")
            return None
        limit = _TEXT_LIMITS.get(name)
        if limit is not None and len(text) > limit:
            self.errors.append(f"{name}: must be at most {limit} characters")
            return None
        return text

    def amount(self, name: str, *, required: bool = False) -> int | None:
        value = self.raw(name)
        if type(value) is str:
            # Fast path for the common cell ("1234.5"): exact, so nothing to round or warn.
            plain = _PLAIN_AMOUNT.match(value)
            if plain is not None:
                whole, fraction = plain.groups()
                return int(whole) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
        if _is_empty(value):
            if required:
                self.errors.append(f"{name}: is required")
                return None
            return 0
        try:
            amount, rounded = parse_amount(value)
        except MoneyError as exc:
            self.errors.append(f"{name}: {exc} (got '{cell_text(value)}')")
            return None
        if rounded:
            self.warnings.append(f"{name}: {cell_text(value)} rounded to {amount}")
        return to_paise(amount)

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        if _is_empty(value):
            self.errors.append(f"{name}: is required")
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.errors.append(
                f"{name}: must be a date as yyyy-MM-dd, dd-MM-yyyy or dd/MM/yyyy "
                f"(got '{cell_text(value)}')"
            )
            return None

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        try:
            return parse_bool(value, default)
        except ValueError:
            self.errors.append(
                f"{name}: must be true/false, yes/no or 1/0 (got '{cell_text(value)}')"
            )
            return default


def check_invoice_row(cells: list[Any], columns: dict[str, int]) -> InvoiceRow | list[str]:
    """The row as an InvoiceRow, or every problem found in it."""
    check = RowChecker(cells, columns)
    number = check.text("invoiceNumber", required=True)
    customer_id = check.text("customerId", required=True)
    invoice_date = check.day("invoiceDate")
    due_date = check.day("dueDate")
    base = check.amount("baseAmount", required=True)
    cgst = check.amount("cgst")
    sgst = check.amount("sgst")
    igst = check.amount("igst")
    tds = check.amount("tds")
    gst_exclusive = check.flag("gstExclusive", True)
    partial = check.flag("partialPaymentAllowed", True)
    dispatch_now = check.flag("dispatchNow", False)
    description = check.text("description")
    po_number = check.text("poNumber")
    external_id = check.text("externalId")
    email = check.text("emailAddress")
    mobile = check.text("mobileNumber")
    # The cross-field rules and their messages are the AR create API's own (invoice.validation).
    rule_errors: list[FieldError] = []
    if invoice_date and due_date:
        check_dates(invoice_date, due_date, rule_errors)
    rule_errors += _amount_rule_errors(
        base=base, cgst=cgst, sgst=sgst, igst=igst, tds=tds, gst_exclusive=gst_exclusive
    )
    check.errors.extend(f"{error.field}: {error.message}" for error in rule_errors)
    _check_contact(check, email, mobile)
    if check.errors:
        return check.errors
    assert number and customer_id and invoice_date and due_date and base is not None
    assert cgst is not None and sgst is not None and igst is not None and tds is not None
    return InvoiceRow(
        invoice_number=number,
        customer_id=customer_id,
        invoice_date=invoice_date,
        due_date=due_date,
        base_amount=base,
        cgst=cgst,
        sgst=sgst,
        igst=igst,
        tds=tds,
        gst_exclusive=gst_exclusive,
        partial_payment_allowed=partial,
        description=description,
        po_number=po_number,
        external_id=external_id,
        email_address=email,
        mobile_number=mobile,
        dispatch_now=dispatch_now,
        warnings=check.warnings,
    )


_ABSENT = 1 << 62  # the index of a column the file lacks: never within a row
_DATES_KEPT = 4096  # distinct date texts a checker remembers (a file's dates repeat)


class CsvInvoiceRows:
    """check_invoice_row for the rows of one CSV file (every cell text), fast for the common
    row whose every value is plain and valid. Any other row is answered by check_invoice_row
    itself, which words every problem, so the outcome never depends on the path taken."""

    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        at = {name: columns.get(name, _ABSENT) for name in INVOICE_FIELDS}
        self._needed = max(columns.values()) + 1
        self._required = itemgetter(*(at[name] for name in INVOICE_REQUIRED))
        self._amounts = tuple(at[name] for name in ("cgst", "sgst", "igst", "tds"))
        self._flags = tuple(
            at[name] for name in ("gstExclusive", "partialPaymentAllowed", "dispatchNow")
        )
        self._texts = tuple(
            (at[name], _TEXT_LIMITS.get(name, _ABSENT))
            for name in ("description", "poNumber", "externalId", "emailAddress", "mobileNumber")
        )
        self._dates: dict[str, date] = {}

    def __call__(self, cells: list[str]) -> InvoiceRow | list[str]:
        row = self._fast(cells) if len(cells) >= self._needed else None
        return check_invoice_row(cells, self.columns) if row is None else row

    def _fast(self, cells: list[str]) -> InvoiceRow | None:
        """The row when it is plainly valid, else None (the full check words its problems)."""
        number, customer_id, invoice_text, due_text, base_text = self._required(cells)
        number, customer_id = number.strip(), customer_id.strip()
        if not 0 < len(number) <= 64 or not 0 < len(customer_id) <= 16:
            return None
        invoice_date, due_date = self._day(invoice_text), self._day(due_text)
        if invoice_date is None or due_date is None or due_date < invoice_date:
            return None
        width = len(cells)
        # An empty baseAmount reads as 0 here, which the amount rules refuse (not plain).
        amounts = [_plain_paise(base_text)]
        amounts += [_plain_paise(cells[i]) if i < width else 0 for i in self._amounts]
        flags = [_plain_flag(cells[i]) if i < width else None for i in self._flags]
        texts = [_plain_text(cells[i], limit) if i < width else None for i, limit in self._texts]
        if None in amounts or -1 in flags or "" in texts:
            return None
        base, cgst, sgst, igst, tds = cast(list[int], amounts)
        exclusive, partial, dispatch = flags
        description, po_number, external_id, email, mobile = texts
        net = base + cgst + sgst + igst if exclusive is not False else base
        if base < MIN_BASE_PAISE or cgst != sgst or (igst and cgst) or tds > net:
            return None
        if (email is not None and not EMAIL_RE.match(email)) or (
            mobile is not None and not PHONE_RE.match(mobile)
        ):
            return None
        return InvoiceRow(
            number,
            customer_id,
            invoice_date,
            due_date,
            base,
            cgst,
            sgst,
            igst,
            tds,
            exclusive is not False,
            partial is not False,
            description,
            po_number,
            external_id,
            email,
            mobile,
            dispatch is True,
        )

    def _day(self, text: str) -> date | None:
        known = self._dates.get(text)
        if known is not None:
            return known
        try:
            day = _parse_date_text(text)
        except ValueError:
            return None
        if len(self._dates) >= _DATES_KEPT:
            self._dates.clear()
        self._dates[text] = day
        return day


def _plain_paise(text: str) -> int | None:
    """An amount cell that needs no rounding nor any message, in paise; else None."""
    # The bare "1234" or "1234.5" without the regex (str.isdecimal is its \d, int() reads
    # those digits); with spaces around it, the regex below.
    dot = text.find(".")
    if dot < 0:
        if 0 < len(text) <= 12 and text.isdecimal():
            return int(text) * 100
    elif 0 < dot <= 12 and 2 <= len(text) - dot <= 3:
        whole, fraction = text[:dot], text[dot + 1 :]
        if whole.isdecimal() and fraction.isdecimal():
            return int(whole) * 100 + int(fraction) * (10 if len(fraction) == 1 else 1)
    plain = _PLAIN_AMOUNT.match(text)
    if plain is not None:
        whole, fraction = plain.groups()
        return int(whole) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    return None if text.strip() else 0


def _plain_flag(text: str) -> bool | int | None:
    """A flag cell: True, False, None when empty (the default), -1 when not a flag."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    return True if lowered in _TRUE else False if lowered in _FALSE else -1


def _plain_text(text: str, limit: int) -> str | None:
    """A text cell: None when empty, "" when over its limit (the full check words it)."""
    stripped = text.strip()
    if not stripped:
        return None
    return stripped if len(stripped) <= limit else ""


def _amount_rule_errors(
    *,
    base: int | None,
    cgst: int | None,
    sgst: int | None,
    igst: int | None,
    tds: int | None,
    gst_exclusive: bool,
) -> list[FieldError]:
    """The rules across the amounts once each one parsed (None: it did not)."""
    errors: list[FieldError] = []
    if None not in (base, cgst, sgst, igst, tds):
        check_amounts(
            InvoiceAmounts(
                base=base or 0,
                cgst=cgst or 0,
                sgst=sgst or 0,
                igst=igst or 0,
                tds=tds or 0,
                gst_exclusive=gst_exclusive,
            ),
            errors,
        )
    elif base is not None and base < MIN_BASE_PAISE:  # the one amount rule of a field alone
        errors.append(FieldError("baseAmount", "must be at least 0.1", wire_paise(base)))
    return errors


def _check_contact(check: RowChecker, email: str | None, mobile: str | None) -> None:
    if email is not None and not EMAIL_RE.match(email):
        check.errors.append(f"emailAddress: {EMAIL_MESSAGE} (got '{email}')")
    if mobile is not None and not PHONE_RE.match(mobile):
        check.errors.append(f"mobileNumber: {PHONE_MESSAGE} (got '{mobile}')")


def check_item_row(cells: list[Any], columns: dict[str, int]) -> ItemRow | list[str]:
    check = RowChecker(cells, columns)
    number = check.text("invoiceNumber", required=True)
    description = check.text("description")
    hsn = check.text("hsnCode")
    if hsn is not None and not _HSN_RE.match(hsn):
        check.errors.append(f"hsnCode: must be 4 to 8 digits (got '{hsn}')")
    quantity: int | None = None
    raw_quantity = check.raw("quantity")
    if _is_empty(raw_quantity):
        check.errors.append("quantity: is required")
    else:
        try:
            parsed = Decimal(cell_text(raw_quantity))
            # Bounds first: int() of "1e999999999" would build a billion-digit number.
            if not parsed.is_finite() or parsed <= 0 or parsed != parsed.to_integral_value():
                raise ValueError
            if parsed > MAX_QUANTITY:
                check.errors.append(
                    f"quantity: must not exceed {MAX_QUANTITY} (got '{cell_text(raw_quantity)}')"
                )
            else:
                quantity = int(parsed)
        except (ArithmeticError, ValueError):
            check.errors.append(
                f"quantity: must be a whole number above 0 (got '{cell_text(raw_quantity)}')"
            )
    unit_price = check.amount("unitPrice", required=True)
    if quantity is not None and unit_price is not None and quantity * unit_price > MAX_PAISE:
        check.errors.append(f"unitPrice: quantity x unitPrice must not exceed {MAX_AMOUNT}")
    rate = check.raw("gstRate")
    tax_rate_bp = 0
    if not _is_empty(rate):
        try:
            parsed_rate, _ = parse_amount(rate)
            if parsed_rate > 100:
                raise MoneyError("must be between 0 and 100")
            tax_rate_bp = to_paise(parsed_rate)
        except MoneyError:
            check.errors.append(
                f"gstRate: must be a percentage between 0 and 100 (got '{cell_text(rate)}')"
            )
    if check.errors:
        return check.errors
    assert number is not None and quantity is not None and unit_price is not None
    return ItemRow(
        invoice_number=number,
        description=description,
        hsn_code=hsn,
        quantity=quantity,
        unit_price=unit_price,
        tax_rate_bp=tax_rate_bp,
    )
