"""Credit-note rows of a bulk file (the third kind of file): one credit note per row, by the
invoice's number, through the credit-note rules of the API.

Columns: invoiceNumber, reason, amount (rupees, GST included, split like the invoice's), date
(yyyy-mm-dd, required so that a file uploaded again matches what it saved) and description. A
row whose invoice already has a credit note with the same amount, date and reason is "already
imported". Each row is saved under its own savepoint, so a refused row (over what remains, a
paid invoice) leaves the batch's other rows saved; unlike invoice and customer files, a row
costs a few statements of its own (credit notes come by the hundred, not by the million).
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.bulk.engine import (
    ALREADY_IMPORTED,
    BATCH_SIZE,
    CREDIT_NOTE,
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
    run_job,
)
from khata.bulk.files import (
    CSV,
    BadFile,
    Limits,
    StagedFile,
    Table,
    Workbook,
    cell_text,
    map_headers,
    open_csv,
    require_data,
)
from khata.credit import repository as credit_repository
from khata.credit import service as credit_service
from khata.credit.schemas import CreditNoteCreate
from khata.invoice import repository as invoice_repository
from khata.kit.errors import KhataError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.money import MoneyError, parse_amount, to_paise
from khata.models import CreditNote

CREDIT_NOTE_FIELDS = ("invoiceNumber", "reason", "amount", "date", "description")
_REQUIRED = ("invoiceNumber", "reason", "amount", "date")
_Key = tuple[str, int, date, str]  # invoice id, amount in paise, date, reason


def _cell(cells: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = cell_text(value)
    return text or None


def _parse(
    cells: Sequence[Any], columns: dict[str, int], outcome: Outcome
) -> CreditNoteCreate | None:
    raw = {name: _cell(cells, columns.get(name)) for name in CREDIT_NOTE_FIELDS}
    missing = [name for name in _REQUIRED if raw[name] is None]
    if missing:
        outcome.errors += [f"{name}: is required" for name in missing]
        return None
    try:
        return CreditNoteCreate.model_validate(raw)
    except ValidationError as exc:
        outcome.errors += [
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()
        ]
        return None


def _paise(amount: Any) -> int:
    """The amount's paise, or -1 when it is not one (the credit-note rules then say why)."""
    try:
        return to_paise(parse_amount(amount)[0])
    except MoneyError:
        return -1


def _key(invoice_id: str, note: CreditNote) -> _Key:
    return (invoice_id, note.amount, note.credit_date, note.reason)


class CreditNoteImport:
    """`POST /api/v0/credit-note/bulk`: the engine's row handler for credit-note files."""

    kind = CREDIT_NOTE
    overlaps = False  # a row's room to credit depends on what the batch before saved
    success_columns: tuple[str, ...] = ("creditNoteId", "creditNoteNumber", "warnings")

    def __init__(
        self,
        *,
        staged: StagedFile,
        caller: Caller,
        now: datetime,
        limits: Limits,
        batch_scope: BatchScope,
        batch_size: int | None = None,
        progress: Progress | None = None,
        lock: JobLock = no_lock,
    ) -> None:
        self.staged = staged
        self.caller = caller
        self.now = now
        self.limits = limits
        self.job = Job(
            staged=staged,
            seller_id=caller.seller_id,
            created_by_id=caller.principal.id,
            now=now,
            batch_scope=batch_scope,
            job_id=new_object_id(now.timestamp()),
            batch_size=batch_size or BATCH_SIZE,
            progress=progress,
            lock=lock,
        )
        self.columns: dict[str, int] = {}
        self.numbers: dict[str, str] = {}  # saved id -> credit note number, for the report

    def success_cells(self, outcome: Outcome) -> list[Any]:
        saved = outcome.saved_id
        return [saved, self.numbers.get(saved or ""), "; ".join(outcome.warnings)]

    async def check(self, batch: list[list[Any]]) -> Checked:
        return Checked(outcomes=[Outcome(cells=cells) for cells in batch])

    def finish(self) -> ExtraSheet | None:
        return None

    async def save(self, session: AsyncSession, checked: Checked, in_turn: InTurn) -> None:
        """Each row was written as it was resolved."""

    async def resolve(self, session: AsyncSession, checked: Checked) -> int:
        # A row's outcome is its own credit note's: each is issued here, under a savepoint.
        parsed = [(o, _parse(o.cells, self.columns, o)) for o in checked.outcomes]
        wanted = sorted({data_number(o, self.columns) for o, data in parsed if data})
        ids = await invoice_repository.live_ids_by_number(session, self.caller.seller_id, wanted)
        # The batch's invoices locked at once, in id order, before any row takes the seller
        # row (the number series): a request crediting one of them meanwhile waits for the
        # batch instead of holding its invoice while the batch holds the seller.
        await invoice_repository.get_invoices(
            session, self.caller.seller_id, sorted(set(ids.values())), for_update=True
        )
        existing = await credit_repository.of_invoices(
            session, self.caller.seller_id, sorted(set(ids.values()))
        )
        saved = {_key(note.invoice_id, note): note for note in existing}
        total = 0
        for outcome, data in parsed:
            if data is not None:
                total += await self._row(session, outcome, data, ids, saved)
        return total

    async def _row(
        self,
        session: AsyncSession,
        outcome: Outcome,
        data: CreditNoteCreate,
        ids: dict[str, str],
        saved: dict[_Key, CreditNote],
    ) -> int:
        """One row: matched (already imported), saved under its own savepoint, or refused."""
        number = data_number(outcome, self.columns)
        invoice_id = ids.get(number)
        if invoice_id is None:
            outcome.errors.append(f"invoiceNumber: no such invoice: {number}")
            return 0
        assert data.creditDate is not None  # a required column
        key = (invoice_id, _paise(data.amount), data.creditDate, data.reason)
        if key in saved:
            outcome.saved_id = saved[key].id
            self.numbers[saved[key].id] = saved[key].credit_note_number
            outcome.warnings.append(ALREADY_IMPORTED)
            return 0
        try:
            async with session.begin_nested():
                issued = await credit_service.create_credit_note(
                    session, caller=self.caller, invoice_id=invoice_id, data=data, now=self.now
                )
        except ValidationFailed as refused:
            outcome.errors += [f"{e.field}: {e.message}" for e in refused.errors]
            return 0
        except KhataError as refused:
            outcome.errors.append(refused.message)
            return 0
        note = issued.note
        saved[key] = note
        outcome.saved_id = note.id
        self.numbers[note.id] = note.credit_note_number
        return note.amount

    async def run(self) -> JobSummary:
        """Every whole-file check happens before the job row or any report is written."""
        if self.staged.file_format == CSV:
            return await self._run(open_csv(self.staged.path, self.limits))
        book = Workbook(self.staged.path, self.limits)
        try:
            if not book.sheet_names:
                raise BadFile("Workbook has no credit notes sheet")
            return await self._run(book.table(0, what="credit notes sheet"))
        finally:
            book.close()

    async def _run(self, table: Table) -> JobSummary:
        self.columns = map_headers(
            table.headers, known=CREDIT_NOTE_FIELDS, required=_REQUIRED, what="credit notes"
        )
        require_data(table, what="credit notes")
        headers = display_headers(table.headers, CREDIT_NOTE_FIELDS)
        return await run_job(self.job, self, table, headers)


def data_number(outcome: Outcome, columns: dict[str, int]) -> str:
    return str(_cell(outcome.cells, columns.get("invoiceNumber")) or "")
