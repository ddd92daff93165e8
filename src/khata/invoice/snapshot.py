"""What the audit trail keeps of an invoice, one shape for every write path, and the stamp
(version, who, when) every change of an invoice leaves on it."""

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.kit.money import wire_paise
from khata.models import Invoice, Principal


class _Kind(Enum):
    """How a column's value shows in the snapshot."""

    AS_IS = "as is"
    DATE = "date"  # ISO text
    MONEY = "money"  # paise shown as rupees


# (snapshot field, invoice column, kind) — AR wire names, amounts shown in rupees, whichever
# dialect or file wrote the change, so one invoice's history reads in one unit.
_FIELDS: tuple[tuple[str, str, _Kind], ...] = (
    ("invoiceNumber", "invoice_number", _Kind.AS_IS),
    ("invoiceDate", "invoice_date", _Kind.DATE),
    ("dueDate", "due_date", _Kind.DATE),
    ("description", "description", _Kind.AS_IS),
    ("poNumber", "po_number", _Kind.AS_IS),
    ("externalId", "external_id", _Kind.AS_IS),
    ("orderId", "order_id", _Kind.AS_IS),
    ("emailAddress", "email_address", _Kind.AS_IS),
    ("mobileNumber", "mobile_number", _Kind.AS_IS),
    ("baseAmount", "base_amount", _Kind.MONEY),
    ("cgst", "cgst", _Kind.MONEY),
    ("sgst", "sgst", _Kind.MONEY),
    ("igst", "igst", _Kind.MONEY),
    ("tds", "tds", _Kind.MONEY),
    ("gstExclusive", "gst_exclusive", _Kind.AS_IS),
    ("netAmount", "net_amount", _Kind.MONEY),
    ("totalReceived", "total_received", _Kind.MONEY),
    ("totalCredited", "total_credited", _Kind.MONEY),
    ("totalWrittenOff", "total_written_off", _Kind.MONEY),
    ("balanceAmount", "balance_amount", _Kind.MONEY),
    ("partialPaymentAllowed", "partial_payment_allowed", _Kind.AS_IS),
    ("receivableStatus", "receivable_status", _Kind.AS_IS),
    ("dispatched", "dispatched", _Kind.AS_IS),
    ("deleted", "deleted", _Kind.AS_IS),
    ("version", "version", _Kind.AS_IS),
)


class _Columns(Mapping[str, Any]):
    """An ORM invoice read as a mapping of its column values."""

    def __init__(self, invoice: Invoice) -> None:
        self._invoice = invoice

    def __getitem__(self, column: str) -> Any:
        return getattr(self._invoice, column)

    def __iter__(self) -> Iterator[str]:
        return iter(column for _, column, _ in _FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


def _shown(value: Any, kind: _Kind) -> Any:
    if kind is _Kind.MONEY:
        return wire_paise(value)
    if kind is _Kind.DATE:
        return value.isoformat()
    return value


def invoice_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot of an invoice given as its column values (a row about to be inserted)."""
    return {field: _shown(values[column], kind) for field, column, kind in _FIELDS}


def snapshot(invoice: Invoice) -> dict[str, Any]:
    """The snapshot of a loaded invoice."""
    return invoice_snapshot(_Columns(invoice))


# The text json.dumps gives a snapshot, with each field's value put in at %s.
_JSON_TEMPLATE = "{" + ", ".join(f"{json.dumps(field)}: %s" for field, _, _ in _FIELDS) + "}"
# What follows the rupees when json.dumps prints a float of paise / 100 (.0, .5, .05, .55).
_PAISE_TEXT = tuple(f".{paise:02d}".rstrip("0").ljust(2, "0") for paise in range(100))
# Below this many paise (10^13 rupees) a 2-decimal float prints back as exactly those decimals.
_EXACT_BELOW = 10**15


def _money_texts(values: list[Any]) -> list[str]:
    return [
        (
            f"{paise // 100}{_PAISE_TEXT[paise % 100]}"
            if paise >= 0
            else f"-{-paise // 100}{_PAISE_TEXT[-paise % 100]}"
        )
        if type(paise) is int and -_EXACT_BELOW < paise < _EXACT_BELOW
        else json.dumps(_shown(paise, _Kind.MONEY))
        for paise in values
    ]


def _date_texts(values: list[Any]) -> list[str]:
    return [
        f'"{value.isoformat()}"' if type(value) is date else json.dumps(_shown(value, _Kind.DATE))
        for value in values
    ]


def _as_is_texts(values: list[Any]) -> list[str]:
    return [
        "null"
        if value is None
        else encode_basestring_ascii(value)
        if type(value) is str
        else _scalar_text(value)
        for value in values
    ]


def _scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value) if type(value) is int else json.dumps(value)


_TEXTS: dict[_Kind, Callable[[list[Any]], list[str]]] = {
    _Kind.AS_IS: _as_is_texts,
    _Kind.DATE: _date_texts,
    _Kind.MONEY: _money_texts,
}


def invoice_snapshots_json(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """`json.dumps(invoice_snapshot(row))` of each row, the same text (a test holds them equal),
    written a field at a time over the whole batch: a bulk file audits every invoice it
    imports, and a dict plus json.dumps per row cost more than building the invoice row."""
    columns = [_TEXTS[kind]([row[column] for row in rows]) for _, column, kind in _FIELDS]
    template = _JSON_TEMPLATE
    return [template % texts for texts in zip(*columns, strict=True)]


def touch(invoice: Invoice, principal: Principal, now: datetime) -> None:
    """Every change of an invoice: one version up, and who made it when."""
    invoice.version += 1
    invoice.modified_by_id = principal.id
    invoice.modified_by_name = principal.name
    invoice.updated_at = now


def audit_change(
    session: AsyncSession,
    invoice: Invoice,
    *,
    caller: Caller,
    action: str,
    now: datetime,
    before: dict[str, Any] | None,
    **noted: Any,
) -> None:
    """The audit entry of a change of one invoice: its snapshot before and after, with what the
    change notes beside it (a payment's id, a status change's remarks)."""
    audit.record(
        session,
        caller=caller,
        seller_id=invoice.seller_id,
        entity_type="invoice",
        entity_id=invoice.id,
        action=action,
        now=now,
        before=before,
        after=snapshot(invoice) | noted,
    )


def record_change(
    session: AsyncSession,
    invoice: Invoice,
    *,
    caller: Caller,
    action: str,
    now: datetime,
    before: dict[str, Any],
    **noted: Any,
) -> None:
    """Every audited change of an invoice: the version bump and stamp, then its audit entry."""
    touch(invoice, caller.principal, now)
    audit_change(session, invoice, caller=caller, action=action, now=now, before=before, **noted)
