"""Bulk customer files: create customers (contacts on repeated uniqueRefNo rows) or update them.

Each row is checked on its own with the customer service's rules and messages. Creates are
saved per batch with batched look-ups and one flush per table; updates go through
`customer.service.update_customer` (audit entries, versions) with the batch's customers
loaded in one query first.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.bulk.customer_rows import (
    CREATE_FIELDS,
    CUSTOMER_DETAIL_FIELDS,
    UPDATE_FIELDS,
    cells_of,
    contact_fields,
    create_columns,
    customer_fields,
    has_contact,
    messages,
    update_columns,
)
from khata.bulk.engine import (
    ALREADY_IMPORTED,
    BATCH_SIZE,
    CUSTOMER_CREATE,
    CUSTOMER_UPDATE,
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
    nul_error,
    open_csv,
    require_data,
)
from khata.customer import repository as customer_repository
from khata.customer import service as customer_service
from khata.customer.errors import UniqueRefNoTaken
from khata.customer.schemas import CustomerCreate, CustomerUpdate, KeyContactIn, field_errors_from
from khata.customer.service import PlannedUpdate, validate_customer_fields
from khata.kit.errors import FieldError, KhataError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.models import Customer, KeyContact
from khata.models.audit_entry import AuditAction

NO_CHANGES = "no changes"
_COMPARED = (
    "legal_name",
    "pan_or_gstin",
    "contact_number",
    "email",
    "address",
    "state",
    "pin_code",
    "account_number",
    "ifsc",
    "assigned_agent",
)


@dataclass(eq=False)
class _NewCustomer:
    row: Outcome
    data: CustomerCreate
    ref: str | None
    # Later rows of the same batch adding contacts to this customer.
    contact_rows: list[tuple[Outcome, KeyContactIn]] = field(default_factory=list)


# What a uniqueRefNo seen earlier in the file resolved to.
_FAILED = "FAILED"


@dataclass
class _RefState:
    details: int  # hash of the first row's customer detail cells
    target: "_NewCustomer | str"  # pending customer, saved/imported customer id, or _FAILED
    contacts: set[tuple[str | None, str | None, str | None]] = field(default_factory=set)


def _identity(contact: Any) -> tuple[str | None, str | None, str | None]:
    return (contact.name, contact.email, contact.mobile)


def _contact_errors(contact: KeyContactIn) -> list[str]:
    check = customer_service.new_contact_check("customerKeyContacts.0", contact)
    return messages(validate_customer_fields(pan_or_gstin=None, state=None, contacts=[check]))


def _parse_contact(raw: dict[str, Any], errors: list[str]) -> KeyContactIn | None:
    try:
        contact = KeyContactIn.model_validate(raw)
    except ValidationError as exc:
        errors += messages(
            [
                FieldError(f"customerKeyContacts.0.{e.field}", e.message, e.rejected_value)
                for e in field_errors_from(exc)
            ]
        )
        if not raw.get("name"):
            errors.append("contactName: is required")
        return None
    errors += _contact_errors(contact)
    return None if errors else contact


def _same_customer(data: CustomerCreate, stored: Customer, contacts: Sequence[KeyContact]) -> bool:
    if any(getattr(data, name) != getattr(stored, name) for name in _COMPARED):
        return False
    if (data.branch_codes or None) != (stored.branch_codes or None):
        return False
    first = data.customer_key_contacts[0]
    return any(_identity(c) == _identity(first) for c in contacts)


class _CustomerJob:
    """What creating and updating share: the job row, the two reports and the summary."""

    kind = CUSTOMER_CREATE
    known: tuple[str, ...] = CREATE_FIELDS
    success_columns: tuple[str, ...] = ("customerId", "warnings")

    overlaps = False  # a batch's contact rows look up customers the batch before saved

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
        job_id: str | None = None,
        lock: JobLock = no_lock,
    ) -> None:
        self.staged = staged
        self.caller = caller
        self.seller_id = caller.seller_id
        self.now = now
        self.limits = limits
        self.job = Job(
            staged=staged,
            seller_id=caller.seller_id,
            created_by_id=caller.principal.id,
            now=now,
            batch_scope=batch_scope,
            job_id=job_id or new_object_id(now.timestamp()),
            # Read at run time, so a test can shrink the batches to cross their boundaries.
            batch_size=batch_size or BATCH_SIZE,
            progress=progress,
            lock=lock,
        )
        self.columns: dict[str, int] = {}
        self.headers: list[str] = []
        self.xlsx = staged.file_format != CSV

    def columns_of(self, headers: Sequence[str]) -> dict[str, int]:
        raise NotImplementedError

    async def process(self, session: AsyncSession, rows: list[Outcome]) -> None:
        raise NotImplementedError

    def success_cells(self, outcome: Outcome) -> list[Any]:
        return [outcome.saved_id, "; ".join(outcome.warnings)]

    async def check(self, batch: list[list[Any]]) -> Checked:
        # The checks read customers saved by earlier batches: they run in `resolve`.
        return Checked(outcomes=[Outcome(cells=cells) for cells in batch])

    async def resolve(self, session: AsyncSession, checked: Checked) -> int:
        # A row's outcome depends on what the rows before it wrote: each is written here.
        await self.process(session, checked.outcomes)
        return 0

    async def save(self, session: AsyncSession, checked: Checked, in_turn: InTurn) -> None:
        """Each row was written as it was resolved."""

    def finish(self) -> ExtraSheet | None:
        """A customers file has no second sheet."""
        return None

    async def run(self) -> JobSummary:
        """Every whole-file check happens before the job row or any report is written."""
        if self.staged.file_format == CSV:
            return await self._run(open_csv(self.staged.path, self.limits))
        book = Workbook(self.staged.path, self.limits)
        try:
            if not book.sheet_names:
                raise BadFile("Workbook has no customers sheet")
            return await self._run(book.table(0, what="customers sheet"))
        finally:
            book.close()

    async def _run(self, table: Table) -> JobSummary:
        self.columns = self.columns_of(table.headers)
        require_data(table, what="customers")
        self.headers = display_headers(table.headers, self.known)
        return await run_job(self.job, self, table, self.headers)


class CustomerCreateImport(_CustomerJob):
    """`POST /api/v0/customer/bulk`: one customer per row, more contacts on repeated
    uniqueRefNo rows; a uniqueRefNo already saved with the same content is "already imported"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._refs: dict[str, _RefState] = {}

    def columns_of(self, headers: Sequence[str]) -> dict[str, int]:
        return create_columns(headers)

    async def process(self, session: AsyncSession, rows: list[Outcome]) -> None:
        candidates: list[_NewCustomer] = []
        # Contact rows for customers saved before this batch (in this run or an earlier one).
        later: list[tuple[Outcome, KeyContactIn, _RefState]] = []
        pending_later: list[tuple[Outcome, KeyContactIn, _RefState, _NewCustomer]] = []
        for row in rows:
            cells = row.cells
            if self.xlsx and (nul := nul_error(cells, self.headers)) is not None:
                row.errors = [nul]  # PostgreSQL text cannot hold it (a CSV one is refused whole)
                continue
            values = cells_of(cells, self.columns)
            ref = values.get("uniqueRefNo") or None
            details = hash(tuple(values.get(name, "") for name in CUSTOMER_DETAIL_FIELDS))
            state = self._refs.get(ref) if ref else None
            only_contact = state is not None and (
                not any(values.get(name) for name in CUSTOMER_DETAIL_FIELDS)
                or details == state.details
            )
            if state is not None and not only_contact and state.target != _FAILED:
                row.errors = [
                    f"uniqueRefNo: '{ref}' appears more than once in this file with different "
                    "customer details"
                ]
                continue
            if state is not None and only_contact:
                self._contact_row(row, values, state, candidates, later, pending_later)
                continue
            self._customer_row(row, values, ref, details, candidates)
        await self._check_existing(session, candidates)
        for row, contact, state, candidate in pending_later:
            # A contact for a customer of this batch that turned out to exist already.
            if candidate.row.errors:
                row.errors = [f"uniqueRefNo: the customer row for '{candidate.ref}' failed"]
            elif candidate.row.saved_id is not None:
                later.append((row, contact, state))
        new = [c for c in candidates if not c.row.errors and c.row.saved_id is None]
        await self._insert(session, new)
        await self._add_contacts(session, later)

    def _customer_row(
        self,
        row: Outcome,
        values: dict[str, str],
        ref: str | None,
        details: int,
        candidates: list[_NewCustomer],
    ) -> None:
        errors: list[str] = []
        raw = customer_fields(values)
        raw["customerKeyContacts"] = [contact_fields(values, errors)]
        data, field_errors = customer_service.parse_customer_create(raw)
        errors += messages(field_errors)
        if data is None and not raw["customerKeyContacts"][0].get("name"):
            # Pydantic stopped before the cross-field checks; the missing name is one of them.
            missing = "contactName: is required"
            if missing not in errors:
                errors.append(missing)
        if ref:
            self._refs[ref] = _RefState(details=details, target=_FAILED)
        if data is None or errors:
            row.errors = errors
            return
        candidate = _NewCustomer(row=row, data=data, ref=ref)
        candidates.append(candidate)
        if ref:
            state = self._refs[ref]
            state.target = candidate
            state.contacts.add(_identity(data.customer_key_contacts[0]))

    def _contact_row(
        self,
        row: Outcome,
        values: dict[str, str],
        state: _RefState,
        candidates: list[_NewCustomer],
        later: list[tuple[Outcome, KeyContactIn, _RefState]],
        pending_later: list[tuple[Outcome, KeyContactIn, _RefState, _NewCustomer]],
    ) -> None:
        ref = values.get("uniqueRefNo")
        if not has_contact(values):
            row.errors = [f"contactName: a repeated uniqueRefNo '{ref}' row adds a key contact"]
            return
        errors: list[str] = []
        contact = _parse_contact(contact_fields(values, errors), errors)
        if contact is None or errors:
            row.errors = errors
            return
        target = state.target
        if target == _FAILED:
            row.errors = [f"uniqueRefNo: the customer row for '{ref}' failed"]
            return
        if _identity(contact) in state.contacts:
            row.errors = [f"contactName: this contact is already given for '{ref}' in this file"]
            return
        state.contacts.add(_identity(contact))
        if isinstance(target, _NewCustomer):
            if target in candidates:
                target.contact_rows.append((row, contact))
                pending_later.append((row, contact, state, target))
            return
        row.saved_id = target
        later.append((row, contact, state))

    async def _check_existing(self, session: AsyncSession, candidates: list[_NewCustomer]) -> None:
        """uniqueRefNo already saved: same content is "already imported", else a failure."""
        refs = [c.ref for c in candidates if c.ref]
        if not refs:
            return
        stored = await customer_repository.customers_by_unique_ref(session, self.seller_id, refs)
        if not stored:
            return
        contacts = await customer_repository.live_contacts_of(
            session, self.seller_id, [c.id for c in stored.values()]
        )
        for candidate in candidates:
            existing = stored.get(candidate.ref) if candidate.ref else None
            if existing is None:
                continue
            state = self._refs[candidate.ref] if candidate.ref else None
            if existing.deleted:
                candidate.row.errors = [
                    f"uniqueRefNo: '{candidate.ref}' belongs to deleted customer '{existing.id}'"
                ]
            elif _same_customer(candidate.data, existing, contacts.get(existing.id, [])):
                candidate.row.saved_id = existing.id
                candidate.row.warnings.append(ALREADY_IMPORTED)
            else:
                candidate.row.errors = [
                    f"uniqueRefNo: '{candidate.ref}' already exists (customer '{existing.id}') "
                    "with different content"
                ]
            if state is not None:
                state.target = _FAILED if candidate.row.errors else existing.id
            for row, _contact in candidate.contact_rows:
                row.saved_id = candidate.row.saved_id

    async def _insert(self, session: AsyncSession, new: list[_NewCustomer]) -> None:
        """All new customers of the batch: one flush for customers, one for contacts and audit."""
        if not new:
            return
        try:
            async with session.begin_nested():
                await self._flush_new(session, new)
        except IntegrityError:
            # A concurrent upload took a uniqueRefNo after our look-up: check again, once.
            for candidate in new:
                candidate.row.saved_id = None
            await self._check_existing(session, new)
            retry = [c for c in new if not c.row.errors and c.row.saved_id is None]
            async with session.begin_nested():
                await self._flush_new(session, retry)

    async def _flush_new(self, session: AsyncSession, new: list[_NewCustomer]) -> None:
        principal = self.caller.principal
        customers: list[Customer] = []
        for candidate in new:
            data = candidate.data
            customer = customer_service.new_customer(
                seller_id=self.seller_id, principal=principal, data=data, now=self.now
            )
            customers.append(customer)
        session.add_all(customers)
        await session.flush()
        written: list[Any] = list(customers)
        for candidate, customer in zip(new, customers, strict=True):
            contacts = [
                customer_service.new_contact(
                    seller_id=self.seller_id, customer_id=customer.id, contact=contact, now=self.now
                )
                for contact in [
                    candidate.data.customer_key_contacts[0],
                    *(c for _, c in candidate.contact_rows),
                ]
            ]
            written += contacts
            session.add_all(contacts)
            written.append(
                audit.record(
                    session,
                    caller=self.caller,
                    seller_id=self.seller_id,
                    entity_type=customer_service.ENTITY,
                    entity_id=customer.id,
                    action=AuditAction.CREATED,
                    now=self.now,
                    after={
                        **customer_service.snapshot(customer, contacts),
                        "customerReminders": [],
                    },
                )
            )
        await session.flush()
        for candidate, customer in zip(new, customers, strict=True):
            candidate.row.saved_id = customer.id
            for row, _contact in candidate.contact_rows:
                row.saved_id = customer.id
            if candidate.ref:
                self._refs[candidate.ref].target = customer.id
        # The request's session lives for the whole upload: keep it from holding every row.
        for instance in written:
            session.expunge(instance)

    async def _add_contacts(
        self, session: AsyncSession, later: list[tuple[Outcome, KeyContactIn, _RefState]]
    ) -> None:
        """Contacts for customers saved before this batch: already there is "already
        imported"; else added through the customer service (version and audit entry)."""
        if not later:
            return
        ids = [row.saved_id for row, _, _ in later if row.saved_id]
        stored = await customer_repository.live_contacts_of(session, self.seller_id, ids)
        for row, contact, _state in later:
            customer_id = row.saved_id
            assert customer_id is not None
            if any(_identity(c) == _identity(contact) for c in stored.get(customer_id, [])):
                row.warnings.append(ALREADY_IMPORTED)
                continue
            try:
                await customer_service.update_customer(
                    session,
                    caller=self.caller,
                    customer_id=customer_id,
                    changes=CustomerUpdate(customer_key_contacts=[contact]),
                    now=self.now,
                )
            except ValidationFailed as exc:
                row.errors = messages(exc.errors)
            except KhataError as exc:
                row.errors = [f"uniqueRefNo: {exc.message}"]


class CustomerUpdateImport(_CustomerJob):
    """`POST /api/v0/customer/bulk/update`: one row per customerId; empty cells unchanged."""

    kind = CUSTOMER_UPDATE
    known = UPDATE_FIELDS
    success_columns = ("warnings",)

    def columns_of(self, headers: Sequence[str]) -> dict[str, int]:
        return update_columns(headers)

    def success_cells(self, outcome: Outcome) -> list[Any]:
        return ["; ".join(outcome.warnings)]

    async def process(self, session: AsyncSession, rows: list[Outcome]) -> None:
        parsed: list[tuple[Outcome, str, CustomerUpdate]] = []
        seen: set[str] = set()
        for row in rows:
            cells = row.cells
            if self.xlsx and (nul := nul_error(cells, self.headers)) is not None:
                row.errors = [nul]  # PostgreSQL text cannot hold it (a CSV one is refused whole)
                continue
            values = cells_of(cells, self.columns)
            customer_id = values.get("customerId", "")
            if not customer_id:
                row.errors = ["customerId: is required"]
                continue
            update = self._parse(values, row)
            if update is None:
                continue
            if customer_id in seen:
                row.errors = ["customerId: appears more than once in this file"]
                continue
            seen.add(customer_id)
            parsed.append((row, customer_id, update))
        if not parsed:
            return
        # One query loads the batch's customers; the service then finds them in the session.
        await self._update(session, parsed)

    async def _update(
        self, session: AsyncSession, parsed: list[tuple[Outcome, str, CustomerUpdate]]
    ) -> None:
        """The batch's updates with the single update's checks, set-based: one query for the
        customers, one for their contacts, one for uniqueRefNos, then one flush."""
        seller_id = self.seller_id
        found = await customer_repository.customers_by_ids(
            session, seller_id, (cid for _, cid, _ in parsed)
        )
        contacts = await customer_repository.live_contacts_of(session, seller_id, list(found))
        plans: list[tuple[Outcome, Customer, PlannedUpdate]] = []
        for row, customer_id, update in parsed:
            customer = found.get(customer_id)
            if customer is None:
                row.errors = [f"customerId: customer '{customer_id}' not found"]
                continue
            try:
                plan = customer_service.plan_update(
                    seller_id=seller_id,
                    customer=customer,
                    contacts=contacts.get(customer_id, []),
                    update=update,
                    now=self.now,
                )
            except ValidationFailed as exc:
                row.errors = messages(exc.errors)
                continue
            except KhataError as exc:
                row.errors = [f"customerId: {exc.message}"]
                continue
            plans.append((row, customer, plan))
        wanted = [r for _, c, p in plans if (r := p.new_unique_ref(c)) is not None]
        owners = await customer_repository.customer_ids_by_unique_ref(session, seller_id, wanted)
        for row, customer, plan in plans:
            unique_ref = plan.new_unique_ref(customer)
            if unique_ref is not None:
                owner = owners.setdefault(unique_ref, customer.id)
                if owner != customer.id:
                    row.errors = [f"uniqueRefNo: {UniqueRefNoTaken(unique_ref).message}"]
                    continue
            version = customer.version
            customer_service.apply_update(
                session, caller=self.caller, customer=customer, plan=plan, now=self.now
            )
            row.saved_id = customer.id
            if customer.version == version:
                row.warnings.append(NO_CHANGES)
        await session.flush()

    def _parse(self, values: dict[str, str], row: Outcome) -> CustomerUpdate | None:
        errors: list[str] = []
        raw = customer_fields(values)
        contact = contact_fields(values, errors)
        contact_id = values.get("keyContactPersonId")
        if contact_id:
            contact["keyContactPersonId"] = contact_id
        if contact:
            raw["customerKeyContacts"] = [contact]
        try:
            update = CustomerUpdate.model_validate(raw)
        except ValidationError as exc:
            errors += messages(field_errors_from(exc))
            row.errors = errors
            return None
        if errors:
            row.errors = errors
            return None
        return update
