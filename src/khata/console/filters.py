"""The invoices page's GET form as the API's search: the form's fields become the filter body
of POST /api/v0/invoice/search, and a page number becomes its limit and offset."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from khata.invoice.ar_schemas import InvoiceSearch
from khata.invoice.status import LABELS
from khata.kit.errors import FieldError, ValidationFailed

PAGE_SIZE = 50
STATUSES = list(LABELS.items())
ORDERS = {
    "createdOn": "Created",
    "dueDate": "Due date",
    "invoiceDate": "Invoice date",
    "balanceAmount": "Balance",
    "netAmount": "Net amount",
    "invoiceNumber": "Invoice number",
}
# Form field -> search filter, for the fields that pass through as they are.
_PLAIN = {
    "customer": "customerLegalName",
    "base_from": "baseAmountFrom",
    "base_to": "baseAmountTo",
    "balance_from": "balanceAmountFrom",
    "balance_to": "balanceAmountTo",
    "created_from": "createdOnFrom",
    "created_to": "createdOnTo",
    "due_from": "dueDateFrom",
    "due_to": "dueDateTo",
}
_CHOICES = ("overdue", "dispatched", "disputed")
FIELDS = (*_PLAIN, *_CHOICES, "status", "customer_id", "order", "direction")


@dataclass(frozen=True)
class SearchForm:
    """The form as the user filled it in (to show it again) and the page asked for."""

    values: dict[str, str]
    statuses: list[str]
    page: int

    def query(self, **changes: Any) -> str:
        """This search's query string, with `changes` (e.g. another page)."""
        pairs: list[tuple[str, Any]] = [(k, v) for k, v in self.values.items() if v]
        pairs += [("status", s) for s in self.statuses]
        pairs += [(k, v) for k, v in changes.items() if v not in (None, "")]
        return urlencode(pairs)


def read_form(query: Mapping[str, Sequence[str]]) -> SearchForm:
    def one(name: str) -> str:
        values = query.get(name) or [""]
        return values[-1].strip()

    values = {name: one(name) for name in FIELDS if name != "status"}
    statuses = [s for s in query.get("status", []) if s in LABELS]
    page = one("page")
    return SearchForm(values, statuses, int(page) if page.isdigit() and int(page) > 0 else 1)


def _choice(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def search_of(form: SearchForm) -> InvoiceSearch:
    """The API's filter body; ValidationFailed names the form's field that is wrong."""
    body: dict[str, Any] = {
        _PLAIN[name]: value for name, value in form.values.items() if name in _PLAIN and value
    }
    if form.statuses:
        body["receivableStatuses"] = form.statuses
    if form.values.get("customer_id"):
        body["customerIds"] = [form.values["customer_id"]]
    for name in ("overdue", "dispatched"):
        choice = _choice(form.values.get(name, ""))
        if choice is not None:
            body[name] = choice
    disputed = _choice(form.values.get("disputed", ""))
    if disputed is not None:
        body["buyerResponseStatuses"] = ["DISPUTED"] if disputed else ["ACCEPTED", "NONE"]
    try:
        return InvoiceSearch.model_validate(body)
    except ValidationError as exc:
        back = {wire: name for name, wire in _PLAIN.items()}
        errors = [
            FieldError(back.get(str(e["loc"][0]), str(e["loc"][0])), e["msg"], e.get("input"))
            for e in exc.errors()
        ]
        raise ValidationFailed(errors) from None
