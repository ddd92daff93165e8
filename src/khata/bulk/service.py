"""Bulk invoice files: the row handler the bulk engine drives (checks, look-ups, COPY)."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.bulk import repository
from khata.bulk.engine import (
    ALREADY_IMPORTED,
    BATCH_SIZE,
    INVOICE,
    YIELD_EVERY,
    YIELD_SLICE,
    BatchScope,
    Checked,
    ExtraSheet,
    InTurn,
    Job,
    JobLock,
    JobSummary,
    Outcome,
    Progress,
    display_headers,
    no_lock,
    pad,
    run_job,
    text_at,
)
from khata.bulk.files import (
    CSV,
    ITEMS_SHEET,
    BadFile,
    Limits,
    StagedFile,
    Table,
    Workbook,
    cell_text,
    map_headers,
    nul_error,
    open_csv,
    overflow_error,
    require_data,
)
from khata.bulk.invoice_rows import (
    INVOICE_FIELDS,
    INVOICE_REQUIRED,
    ITEM_FIELDS,
    ITEM_REQUIRED,
    CsvInvoiceRows,
    InvoiceRow,
    ItemRow,
    check_invoice_row,
    check_item_row,
)
from khata.customer import repository as customer_repository
from khata.delivery import outbox
from khata.invoice import repository as invoice_repository
from khata.invoice.dispatch import DispatchedInvoice, dispatch_messages
from khata.invoice.numbering import allocate_entity_ids
from khata.invoice.rows import INVOICE_COLUMNS, Author, InvoiceRowMaker, as_record, line_record
from khata.invoice.snapshot import invoice_snapshots_json
from khata.kit import amounts
from khata.kit.ids import new_object_id, new_object_ids
from khata.kit.money import from_paise
from khata.models import Customer, KeyContact, Seller
from khata.models.audit_entry import AuditAction
from khata.models.customer import CustomerStatus
from khata.models.invoice import InvoiceVia


@dataclass
class _Items:
    """The items sheet, loaded up front so each invoice row finds its lines."""

    by_number: dict[str, list[ItemRow]] = field(default_factory=dict)
    errors_by_number: dict[str, list[str]] = field(default_factory=dict)
    bad_rows: list[list[Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    unmatched: dict[str, list[list[Any]]] = field(default_factory=dict)


def _load_items(table: Table) -> _Items:
    columns = map_headers(
        table.headers, known=ITEM_FIELDS, required=ITEM_REQUIRED, what="items sheet"
    )
    items = _Items(headers=display_headers(table.headers, ITEM_FIELDS))
    for line, cells in enumerate(table.rows, start=2):
        checked = check_item_row(cells, columns)
        nul = nul_error(cells, table.headers)
        if nul is not None:
            checked = [nul, *(checked if isinstance(checked, list) else [])]
        number_index = columns["invoiceNumber"]
        number = cell_text(cells[number_index]) if number_index < len(cells) else ""
        if isinstance(checked, ItemRow):
            items.by_number.setdefault(checked.invoice_number, []).append(checked)
            items.unmatched.setdefault(checked.invoice_number, []).append(cells)
            continue
        message = f"items row {line}: " + "; ".join(checked)
        items.errors_by_number.setdefault(number, []).append(message)
        items.bad_rows.append([*pad(cells, len(table.headers)), "; ".join(checked)])
    return items


def _same_content(row: InvoiceRow, stored: Any) -> bool:
    return bool(
        stored.customer_id == row.customer_id
        and stored.invoice_date == row.invoice_date
        and stored.due_date == row.due_date
        and stored.base_amount == row.base_amount
        and stored.cgst == row.cgst
        and stored.sgst == row.sgst
        and stored.igst == row.igst
        and stored.tds == row.tds
        and bool(stored.gst_exclusive) == row.gst_exclusive
        and bool(stored.partial_payment_allowed) == row.partial_payment_allowed
        and (stored.description or None) == row.description
        and (stored.po_number or None) == row.po_number
        and (stored.external_id or None) == row.external_id
        and (stored.email_address or None) == row.email_address
        and (stored.mobile_number or None) == row.mobile_number
    )


@dataclass(slots=True)
class _Candidate:
    """A row that passed its own checks, with its invoice row and audit snapshot made ahead:
    made while the previous batch is still being saved, so the save only numbers and writes."""

    outcome: Outcome
    row: InvoiceRow
    values: dict[str, Any]
    snapshot: str


_ENTITY_ID_AT = INVOICE_COLUMNS.index("entity_id")


@dataclass(slots=True)
class _Accepted:
    """A batch's rows accepted against stored data, with what their writes need."""

    new: list[_Candidate] = field(default_factory=list)
    legal_names: dict[str, str] = field(default_factory=dict)  # customerId -> legal name
    contacts: dict[str, list[KeyContact]] = field(default_factory=dict)  # by customerId


class InvoiceImport:
    """One invoice file import. `run()` answers the summary; report files are on disk."""

    kind = INVOICE
    overlaps = True  # a batch's checks and look-ups need nothing the previous batch writes
    success_columns: tuple[str, ...] = ("invoiceId", "warnings")

    def __init__(
        self,
        *,
        staged: StagedFile,
        seller: Seller,
        actor: Author,
        now: datetime,
        public_base_url: str,
        limits: Limits,
        batch_scope: BatchScope,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
        job_id: str | None = None,
        lock: JobLock = no_lock,
    ) -> None:
        self.staged = staged
        self.seller_id = seller.id
        self.seller_state = seller.state_code
        self.seller_name = seller.legal_name
        self.public_base_url = public_base_url
        self.now = now
        self.limits = limits
        self.job = Job(
            staged=staged,
            seller_id=seller.id,
            created_by_id=actor.id,
            now=now,
            batch_scope=batch_scope,
            job_id=job_id or new_object_id(now.timestamp()),
            batch_size=batch_size,
            progress=progress,
            lock=lock,
        )
        self._author = actor
        self._row_maker = InvoiceRowMaker(
            seller_id=seller.id,
            invoice_prefix=seller.invoice_prefix,
            author=actor,
            now=now,
            via=InvoiceVia.BULK_UPLOAD.value,
            bulk_job_id=self.job.job_id,
            json_text=True,
        )
        self._seen_numbers: set[str] = set()
        self._headers: list[str] = []
        self._columns: dict[str, int] = {}
        self._extra_columns: list[tuple[int, str]] = []
        self._check_row: Callable[[list[Any]], InvoiceRow | list[str]] = lambda _: []
        self._items: _Items | None = None
        # invoiceNumbers of rows that failed their own checks (their items are not orphans)
        self._failed_numbers: set[str] = set()
        self._statistics_checked = False

    def _open(self) -> tuple[Table, _Items | None, Workbook | None]:
        """Every whole-file check happens here, before anything is written."""
        if self.staged.file_format == CSV:
            return open_csv(self.staged.path, self.limits), None, None
        book = Workbook(self.staged.path, self.limits)
        try:
            names = book.sheet_names
            main = next((n for n in names if n.strip().lower() != ITEMS_SHEET), None)
            if main is None:
                raise_no_sheet()
            table = book.table(main, what="invoices sheet")
            items_name = next((n for n in names if n.strip().lower() == ITEMS_SHEET), None)
            items = None
            if items_name is not None:
                items = _load_items(book.table(items_name, what="items sheet"))
        except BaseException:
            book.close()
            raise
        return table, items, book

    async def run(self) -> JobSummary:
        table, items, book = self._open()
        try:
            self._columns = map_headers(
                table.headers, known=INVOICE_FIELDS, required=INVOICE_REQUIRED, what="invoices"
            )
            require_data(table, what="invoices")
            columns = self._columns
            self._check_row = (
                CsvInvoiceRows(columns)
                if self.staged.file_format == CSV
                else lambda cells: check_invoice_row(cells, columns)
            )
            headers = self._headers = display_headers(table.headers, INVOICE_FIELDS)
            self._extra_columns = [
                (index, name) for index, name in enumerate(headers) if name not in self._columns
            ]
            self._items = items
            return await run_job(self.job, self, table, headers)
        finally:
            if book is not None:
                book.close()

    def success_cells(self, outcome: Outcome) -> list[Any]:
        return [outcome.saved_id, "; ".join(outcome.warnings)]

    def finish(self) -> ExtraSheet | None:
        return None if self._items is None else self._report_items(self._items)

    async def resolve(self, session: AsyncSession, checked: Checked) -> int:
        if not checked.pending:
            checked.pending = _Accepted()
            return 0
        accepted = await self._accept(session, checked.pending)
        checked.pending = accepted
        return sum(candidate.values["net_amount"] for candidate in accepted.new)

    def _report_items(self, items: _Items) -> ExtraSheet:
        """Bad item rows, and item rows naming no invoice of the file, fail on their own."""
        bad = list(items.bad_rows)
        for number, rows in items.unmatched.items():
            if number in self._seen_numbers or number in self._failed_numbers:
                continue
            for cells in rows:
                bad.append(
                    [
                        *pad(cells, len(items.headers)),
                        f"invoiceNumber: no invoice row '{number}' in this file",
                    ]
                )
        return ExtraSheet(headers=[*items.headers, "error"], rows=bad)

    async def check(self, batch: list[list[Any]]) -> Checked:
        """Each row's own checks and the in-file duplicate check (no database)."""
        columns, items = self._columns, self._items
        outcomes: list[Outcome] = []
        candidates: list[tuple[Outcome, InvoiceRow]] = []
        seen, failed = self._seen_numbers, self._failed_numbers
        width = len(self._headers)
        number_index = columns["invoiceNumber"]
        # A CSV with a NUL byte is refused whole when staged; a sheet can hold one per cell.
        xlsx = self.staged.file_format != CSV
        headers = self._headers
        item_errors = items.errors_by_number if items is not None else None
        check_row = self._check_row
        for index, cells in enumerate(batch):
            if index and not index % YIELD_EVERY:
                await asyncio.sleep(0)
            outcome = Outcome(cells=cells)
            outcomes.append(outcome)
            checked = check_row(cells)
            overflow = overflow_error(cells, width) if len(cells) > width else None
            if xlsx and overflow is None:
                overflow = nul_error(cells, headers)
            if overflow is not None or not isinstance(checked, InvoiceRow):
                errors = [] if isinstance(checked, InvoiceRow) else checked
                outcome.errors = [overflow, *errors] if overflow is not None else errors
                number = text_at(cells, number_index)
                if number:
                    # Its item rows belong to this failed row: not "no invoice row" orphans.
                    failed.add(number)
                    if item_errors is not None and number in item_errors:
                        outcome.errors = [*outcome.errors, *item_errors[number]]
                continue
            if checked.invoice_number in seen:
                outcome.errors = ["invoiceNumber: appears more than once in this file"]
                continue
            seen.add(checked.invoice_number)
            if item_errors is not None and checked.invoice_number in item_errors:
                outcome.errors = item_errors[checked.invoice_number]
                continue
            outcome.warnings = checked.warnings
            candidates.append((outcome, checked))
        prepared: list[_Candidate] = []
        for start in range(0, len(candidates), YIELD_SLICE):
            await asyncio.sleep(0)
            prepared += self._prepare(candidates[start : start + YIELD_SLICE])
        return Checked(outcomes=outcomes, pending=prepared)

    def _prepare(self, candidates: list[tuple[Outcome, InvoiceRow]]) -> list[_Candidate]:
        """Each candidate's invoice row (its entityId is taken when saved) and snapshot text."""
        ids = new_object_ids(self.now.timestamp(), len(candidates))
        rows = [
            self._row_values(outcome, row, invoice_id)
            for (outcome, row), invoice_id in zip(candidates, ids, strict=True)
        ]
        snapshots = invoice_snapshots_json(rows)
        return [
            _Candidate(outcome, row, values, snapshot)
            for (outcome, row), values, snapshot in zip(candidates, rows, snapshots, strict=True)
        ]

    def _row_values(self, outcome: Outcome, row: InvoiceRow, invoice_id: str) -> dict[str, Any]:
        extra = None
        if self._extra_columns:
            cells = outcome.cells
            # As JSON text, like every JSON column of the rows (InvoiceRowMaker(json_text=True)).
            extra = json.dumps(
                {name: cell_text(cells[i]) for i, name in self._extra_columns if i < len(cells)}
            )
        return self._row_maker.values(
            dispatch=row.dispatch_now,
            id=invoice_id,
            entity_id=0,
            invoice_number=row.invoice_number,
            external_id=row.external_id,
            customer_id=row.customer_id,
            invoice_date=row.invoice_date,
            due_date=row.due_date,
            description=row.description,
            po_number=row.po_number,
            base_amount=row.base_amount,
            cgst=row.cgst,
            sgst=row.sgst,
            igst=row.igst,
            tds=row.tds,
            gst_exclusive=row.gst_exclusive,
            partial_payment_allowed=row.partial_payment_allowed,
            email_address=row.email_address,
            mobile_number=row.mobile_number,
            extra=extra,
        )

    async def _accept(self, session: AsyncSession, candidates: list[_Candidate]) -> _Accepted:
        """The look-ups and checks against stored data of one batch: each row fails, matches
        an invoice already imported, or is accepted under the id made for it."""
        customers = await customer_repository.customers_by_ids(
            session, self.seller_id, (c.row.customer_id for c in candidates)
        )
        existing = await repository.invoices_by_number(
            session, seller_id=self.seller_id, numbers=[c.row.invoice_number for c in candidates]
        )
        dispatch_ids = [c.row.customer_id for c in candidates if c.row.dispatch_now]
        contacts = await customer_repository.live_contacts_of(session, self.seller_id, dispatch_ids)
        reachable = {
            customer_id
            for customer_id, of_customer in contacts.items()
            if any(_has_channel(contact) for contact in of_customer)
        }
        new: list[_Candidate] = []
        legal_names: dict[str, str] = {}
        for index, candidate in enumerate(candidates):
            if index and not index % YIELD_SLICE:
                await asyncio.sleep(0)
            outcome, row = candidate.outcome, candidate.row
            customer = customers.get(row.customer_id)
            if customer is None:
                outcome.errors = [f"customerId: customer '{row.customer_id}' not found"]
                continue
            if customer.deleted:
                outcome.errors = [f"customerId: customer '{row.customer_id}' is deleted"]
                continue
            if customer.status != CustomerStatus.ACTIVE:
                outcome.errors = [f"customerId: customer '{row.customer_id}' is not ACTIVE"]
                continue
            stored = existing.get(row.invoice_number)
            if stored is not None:
                if _same_content(row, stored):
                    outcome.saved_id = stored.id
                    outcome.warnings = [*outcome.warnings, ALREADY_IMPORTED]
                else:
                    outcome.errors = ["invoiceNumber already exists with different content"]
                continue
            self._warn(outcome, row, customer, dispatchable=row.customer_id in reachable)
            if candidate.values["dispatched"] and not row.dispatch_now:
                # Nobody to present it to: made as dispatched ahead, it is saved as created.
                candidate.values = self._row_values(outcome, row, candidate.values["id"])
                [candidate.snapshot] = invoice_snapshots_json([candidate.values])
            outcome.saved_id = candidate.values["id"]
            new.append(candidate)
            legal_names[row.customer_id] = customer.legal_name
        return _Accepted(new, legal_names, contacts)

    def _warn(
        self, outcome: Outcome, row: InvoiceRow, customer: Customer, *, dispatchable: bool
    ) -> None:
        """What a saved row is warned about: GST against place of supply, dispatchNow without
        a reachable contact (not dispatched when the row has no address either), items."""
        intra = amounts.is_intra_state(self.seller_state, customer.state)
        if intra and row.igst:
            outcome.warnings.append(
                "igst: customer is in the seller's state (intra-state): expected cgst+sgst"
            )
        elif not intra and (row.cgst or row.sgst):
            outcome.warnings.append(
                "cgst/sgst: customer is in another state (inter-state): expected igst"
            )
        if row.dispatch_now and not dispatchable:
            if row.email_address or row.mobile_number:
                outcome.warnings.append(
                    "dispatchNow: customer has no key contact with an enabled channel; "
                    "sent only to the invoice's own email/mobile"
                )
            else:
                outcome.warnings.append(
                    "dispatchNow: customer has no key contact with an enabled channel; "
                    "not dispatched"
                )
                row.dispatch_now = False
        items = self._items
        lines = items.by_number.get(row.invoice_number, []) if items else []
        if lines:
            items_total = sum(line.quantity * line.unit_price for line in lines)
            if items_total != row.base_amount:
                outcome.warnings.append(
                    f"items: amounts add up to {from_paise(items_total)} but baseAmount is "
                    f"{from_paise(row.base_amount)}"
                )

    async def save(self, session: AsyncSession, checked: Checked, in_turn: InTurn) -> None:
        """The batch's item lines and audit entries (one COPY each, while the batch before may
        still be saving: they need nothing it writes), then in turn its entityIds and its
        invoices (one COPY) and its dispatchNow messages."""
        accepted: _Accepted = checked.pending
        new = accepted.new
        if not new:
            return
        items = self._items
        line_records: list[list[Any]] = []
        for candidate in new:
            item_lines = items.by_number.get(candidate.row.invoice_number) if items else None
            if item_lines:
                line_records.extend(self._line_records(candidate.values["id"], item_lines))
        await invoice_repository.insert_line_records(session, line_records)
        await audit.record_many(
            session,
            principal=self._author,
            seller_id=self.seller_id,
            entity_type="invoice",
            action=AuditAction.CREATED,
            now=self.now,
            entity_ids=[candidate.values["id"] for candidate in new],
            after=[candidate.snapshot for candidate in new],
        )
        records = [list(as_record(candidate.values)) for candidate in new]
        await in_turn()
        entity_ids = await allocate_entity_ids(session, seller_id=self.seller_id, count=len(new))
        for candidate, record, entity_id in zip(new, records, entity_ids, strict=True):
            candidate.values["entity_id"] = record[_ENTITY_ID_AT] = entity_id
        await invoice_repository.insert_invoice_records(session, records, json_text=True)
        if not self._statistics_checked:  # once per file: the next batches' probes need them
            await invoice_repository.know_invoice_count(session, at_least=len(records))
            self._statistics_checked = True
        dispatched = [c.values for c in new if c.row.dispatch_now]
        if dispatched:
            await self._queue_dispatch(session, dispatched, accepted.legal_names, accepted.contacts)

    def _line_records(self, invoice_id: str, lines: list[ItemRow]) -> list[list[Any]]:
        """The invoice_line rows of one invoice's lines on the items sheet."""
        stamp = self.now.timestamp()
        records: list[list[Any]] = []
        for position, line in enumerate(lines, start=1):
            line_amounts = amounts.line_amounts(
                quantity=line.quantity, unit_price=line.unit_price, tax_rate_bp=line.tax_rate_bp
            )
            records.append(
                line_record(
                    seller_id=self.seller_id,
                    id=new_object_id(stamp),
                    invoice_id=invoice_id,
                    position=position,
                    name=line.description,
                    description=line.description,
                    hsn_code=line.hsn_code,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_rate_bp=line.tax_rate_bp,
                    amount=line_amounts.amount,
                    tax=line_amounts.tax,
                )
            )
        return records

    async def _queue_dispatch(
        self,
        session: AsyncSession,
        invoices: list[dict[str, Any]],
        legal_names: dict[str, str],
        by_customer: dict[str, list[KeyContact]],
    ) -> None:
        """dispatchNow rows: the messages of `invoice.dispatch`, exactly as an API dispatch."""
        messages: list[outbox.OutgoingMessage] = []
        for invoice in invoices:
            facts = DispatchedInvoice(
                invoice_id=invoice["id"],
                invoice_number=invoice["invoice_number"],
                version=invoice["version"],
                customer_id=invoice["customer_id"],
                customer_legal_name=legal_names.get(invoice["customer_id"]),
                seller_name=self.seller_name,
                balance_paise=invoice["balance_amount"],
                due_date=invoice["due_date"],
                payment_link_key=invoice["payment_link_key"],
                email_address=invoice["email_address"],
                mobile_number=invoice["mobile_number"],
            )
            contacts_of = by_customer.get(invoice["customer_id"], [])
            messages.extend(dispatch_messages(facts, contacts_of, link_base=self.public_base_url))
        await outbox.queue(session, seller_id=self.seller_id, messages=messages, now=self.now)


def _has_channel(contact: KeyContact) -> bool:
    return bool(
        (contact.mail_enabled and contact.email)
        or (contact.sms_enabled and contact.mobile)
        or (contact.whatsapp_enabled and contact.mobile)
    )


def raise_no_sheet() -> NoReturn:
    raise BadFile("Workbook has no invoices sheet")
