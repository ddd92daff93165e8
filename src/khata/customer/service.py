"""Customer rules, usable without HTTP (the API and bulk customer imports share them).

Public entry points are keyword-only and take the caller and the clock:
`create_customer(session, caller=, data=CustomerCreate, now=)`,
`update_customer(session, caller=, customer_id=, changes=dict | CustomerUpdate, now=)`,
`activate`/`deactivate`/`delete_customer`, `get_customer`, `search_customers`. Field checks that
span fields are the pure `validate_customer_fields`; `parse_customer_create` runs every check
on a plain dict and answers the per-field errors instead of raising, for file rows. Services
only `flush()`: the caller's unit of work commits. Every write leaves an audit entry.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.customer import reminder_rules, repository, views
from khata.customer.errors import CustomerDeleted, CustomerNotFound, UniqueRefNoTaken
from khata.customer.repository import CustomerFilter
from khata.customer.schemas import (
    CustomerCreate,
    CustomerUpdate,
    KeyContactIn,
    field_errors_from,
)
from khata.db import Reads
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.gst import gstin_state_code, is_valid_gstin
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer, KeyContact, Principal, ReminderRule
from khata.models.audit_entry import AuditAction
from khata.models.customer import CustomerStatus

ENTITY = "customer"


@dataclass
class CustomerView:
    """A customer with its live key contacts and reminder rules, ready to be shown."""

    customer: Customer
    contacts: list[KeyContact]
    reminders: list[ReminderRule]


@dataclass(frozen=True)
class ContactCheck:
    """The values of one key contact after a create or PATCH, for the cross-field checks."""

    path: str  # e.g. "customerKeyContacts.0"
    is_new: bool
    name: str | None
    email: str | None
    mobile: str | None
    mail_enabled: bool
    sms_enabled: bool
    whatsapp_enabled: bool


def validate_customer_fields(
    *, pan_or_gstin: str | None, state: str | None, contacts: Sequence[ContactCheck]
) -> list[FieldError]:
    """Rules across fields, on already field-valid values; one FieldError per bad field."""
    errors: list[FieldError] = []
    if pan_or_gstin and state and is_valid_gstin(pan_or_gstin):
        code = gstin_state_code(pan_or_gstin)
        if code != state:
            errors.append(
                FieldError("state", f"does not match the GSTIN's state code {code}", state)
            )
    for contact in contacts:
        if contact.is_new and not contact.name:
            errors.append(FieldError(f"{contact.path}.name", "is required", None))
        if contact.mail_enabled and not contact.email:
            errors.append(FieldError(f"{contact.path}.email", "is required when mail is on", None))
        if (contact.sms_enabled or contact.whatsapp_enabled) and not contact.mobile:
            errors.append(
                FieldError(f"{contact.path}.mobile", "is required when SMS or WhatsApp is on", None)
            )
    if not contacts:
        errors.append(FieldError("customerKeyContacts", "needs at least one key contact", None))
    return errors


def new_contact_check(path: str, contact: KeyContactIn) -> ContactCheck:
    return ContactCheck(
        path=path,
        is_new=True,
        name=contact.name,
        email=contact.email,
        mobile=contact.mobile,
        mail_enabled=_mail_default(contact),
        sms_enabled=bool(contact.sms_enabled),
        whatsapp_enabled=bool(contact.whatsapp_enabled),
    )


def _mail_default(contact: KeyContactIn) -> bool:
    # Mail is on by default when there is an address to mail to.
    if contact.mail_enabled is None:
        return contact.email is not None
    return contact.mail_enabled


def create_errors(data: CustomerCreate) -> list[FieldError]:
    """Every cross-field error of a create (contacts marked deleted are simply left out)."""
    contacts = [
        new_contact_check(f"customerKeyContacts.{index}", contact)
        for index, contact in enumerate(data.customer_key_contacts)
        if not contact.deleted
    ]
    errors = validate_customer_fields(
        pan_or_gstin=data.pan_or_gstin, state=data.state, contacts=contacts
    )
    for index, reminder in enumerate(data.customer_reminders or []):
        errors += reminder_rules.rule_errors(
            reminder_type=reminder.reminder_type,
            reminder_interval=reminder.reminder_interval,
            prefix=f"customerReminders.{index}.",
        )
    return errors


def parse_customer_create(raw: Mapping[str, Any]) -> tuple[CustomerCreate | None, list[FieldError]]:
    """Check a plain dict (JSON body or file row) as a create; never raises for bad input."""
    try:
        data = CustomerCreate.model_validate(dict(raw))
    except ValidationError as exc:
        return None, field_errors_from(exc)
    errors = create_errors(data)
    return (None, errors) if errors else (data, [])


def own_fields(customer: Customer) -> dict[str, Any]:
    """A customer's own fields by their AR wire names: what the payload shows and the audit
    trail compares."""
    return {
        "legalName": customer.legal_name,
        "panOrGstin": customer.pan_or_gstin,
        "contactNumber": customer.contact_number,
        "email": customer.email,
        "address": customer.address,
        "state": customer.state,
        "pinCode": customer.pin_code,
        "accountNumber": customer.account_number,
        "ifsc": customer.ifsc,
        "branchCodes": customer.branch_codes,
        "uniqueRefNo": customer.unique_ref_no,
        "assignedAgent": customer.assigned_agent,
        "status": customer.status,
        "deleted": customer.deleted,
    }


def snapshot(customer: Customer, contacts: Sequence[KeyContact]) -> dict[str, Any]:
    """What the audit trail compares: the customer's own fields and its live contacts."""
    return own_fields(customer) | {
        "customerKeyContacts": [contact_snapshot(c) for c in contacts if not c.deleted],
    }


def contact_snapshot(contact: KeyContact) -> dict[str, Any]:
    return {
        "keyContactPersonId": contact.id,
        "name": contact.name,
        "legalName": contact.legal_name,
        "designation": contact.designation,
        "email": contact.email,
        "mobile": contact.mobile,
        "mail_enabled": contact.mail_enabled,
        "sms_enabled": contact.sms_enabled,
        "whatsapp_enabled": contact.whatsapp_enabled,
    }


def _record_change(
    session: AsyncSession,
    *,
    caller: Caller,
    customer: Customer,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> bool:
    """Bump the version and write one audit entry with only what changed; False if nothing."""
    changed = audit.changed_fields(before, after)
    if not changed:
        return False
    customer.version += 1
    customer.modified_by_id = caller.principal.id
    customer.modified_by_name = caller.principal.name
    customer.updated_at = now
    audit.record(
        session,
        caller=caller,
        seller_id=customer.seller_id,
        entity_type=ENTITY,
        entity_id=customer.id,
        action=action,
        now=now,
        before={key: value["from"] for key, value in changed.items()},
        after={key: value["to"] for key, value in changed.items()},
    )
    return True


async def _check_unique_ref(
    session: AsyncSession, seller_id: str, unique_ref_no: str | None, customer_id: str | None
) -> None:
    if unique_ref_no is None:
        return
    taken = await repository.customer_ids_by_unique_ref(session, seller_id, [unique_ref_no])
    owner = taken.get(unique_ref_no)
    if owner is not None and owner != customer_id:
        raise UniqueRefNoTaken(unique_ref_no)


def new_contact(
    *, seller_id: str, customer_id: str, contact: KeyContactIn, now: datetime
) -> KeyContact:
    return KeyContact(
        seller_id=seller_id,
        id=new_object_id(now.timestamp()),
        customer_id=customer_id,
        name=contact.name,
        legal_name=contact.legal_name,
        designation=contact.designation,
        email=contact.email,
        mobile=contact.mobile,
        mail_enabled=_mail_default(contact),
        sms_enabled=bool(contact.sms_enabled),
        whatsapp_enabled=bool(contact.whatsapp_enabled),
        deleted=False,
        created_at=now,
        updated_at=now,
    )


def new_customer(
    *, seller_id: str, principal: Principal, data: CustomerCreate, now: datetime
) -> Customer:
    """The row of a new customer (the API and bulk files create them alike)."""
    return Customer(
        seller_id=seller_id,
        id=new_customer_id(),
        legal_name=data.legal_name,
        pan_or_gstin=data.pan_or_gstin,
        contact_number=data.contact_number,
        email=data.email,
        address=data.address,
        state=data.state,
        pin_code=data.pin_code,
        account_number=data.account_number,
        ifsc=data.ifsc,
        branch_codes=data.branch_codes,
        unique_ref_no=data.unique_ref_no,
        assigned_agent=data.assigned_agent,
        status=data.status,
        deleted=False,
        version=1,
        created_by_id=principal.id,
        created_by_name=principal.name,
        modified_by_id=principal.id,
        modified_by_name=principal.name,
        created_at=now,
        updated_at=now,
    )


async def create_customer(
    session: AsyncSession, *, caller: Caller, data: CustomerCreate, now: datetime
) -> CustomerView:
    """A new customer with its key contacts and inline reminder rules, in one flush."""
    errors = create_errors(data)
    if errors:
        raise ValidationFailed(errors)
    seller_id = caller.seller_id
    await _check_unique_ref(session, seller_id, data.unique_ref_no, None)
    customer = new_customer(seller_id=seller_id, principal=caller.principal, data=data, now=now)
    # The contacts and rules point at the customer row, so it must exist first. The savepoint
    # turns a uniqueRefNo taken by a concurrent request (after our check) into a clean 422.
    try:
        async with session.begin_nested():
            session.add(customer)
            await session.flush()
    except IntegrityError as exc:
        if data.unique_ref_no is None:
            raise
        raise UniqueRefNoTaken(data.unique_ref_no) from exc
    contacts = [
        new_contact(seller_id=seller_id, customer_id=customer.id, contact=contact, now=now)
        for contact in data.customer_key_contacts
        if not contact.deleted
    ]
    reminders = [
        reminder_rules.new_rule(
            seller=caller.seller, customer_id=customer.id, data=reminder, now=now
        )
        for reminder in data.customer_reminders or []
    ]
    session.add_all([*contacts, *reminders])
    after = snapshot(customer, contacts)
    after["customerReminders"] = [reminder_rules.rule_snapshot(r) for r in reminders]
    audit.record(
        session,
        caller=caller,
        seller_id=seller_id,
        entity_type=ENTITY,
        entity_id=customer.id,
        action=AuditAction.CREATED,
        now=now,
        after=after,
    )
    await session.flush()
    return CustomerView(customer, contacts, reminders)


async def _load(session: AsyncSession, caller: Caller, customer_id: str) -> Customer:
    customer = await repository.get_customer(session, caller.seller_id, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


async def _view(session: AsyncSession, customer: Customer) -> CustomerView:
    contacts = await repository.active_contacts(session, customer.seller_id, customer.id)
    reminders = await repository.active_reminders(session, customer.seller_id, customer.id)
    return CustomerView(customer, contacts, reminders)


async def get_customer(reads: Reads, *, seller_id: str, customer_id: str) -> CustomerView:
    """A customer of the seller (deleted ones too, flagged); 404 for anything else. One
    statement: the GET is the most frequent customer read."""
    found = await views.customer_with_live_rows(reads, seller_id, customer_id)
    if found is None:
        raise CustomerNotFound(customer_id)
    return CustomerView(*found)


async def list_contacts(
    session: AsyncSession, *, caller: Caller, customer_id: str
) -> list[KeyContact]:
    customer = await _load(session, caller, customer_id)
    return await repository.active_contacts(session, caller.seller_id, customer.id)


_SIMPLE_FIELDS = {
    "pan_or_gstin": "panOrGstin",
    "contact_number": "contactNumber",
    "email": "email",
    "address": "address",
    "state": "state",
    "pin_code": "pinCode",
    "account_number": "accountNumber",
    "ifsc": "ifsc",
    "branch_codes": "branchCodes",
    "unique_ref_no": "uniqueRefNo",
    "assigned_agent": "assignedAgent",
}
_CONTACT_FIELDS = ("name", "legal_name", "designation", "email", "mobile")
_CONTACT_FLAGS = ("mail_enabled", "sms_enabled", "whatsapp_enabled")


def _parse_update(changes: Mapping[str, Any] | CustomerUpdate) -> CustomerUpdate:
    if isinstance(changes, CustomerUpdate):
        return changes
    try:
        return CustomerUpdate.model_validate(dict(changes))
    except ValidationError as exc:
        raise ValidationFailed(field_errors_from(exc)) from exc


@dataclass
class PlannedUpdate:
    """A checked PATCH of one customer, not yet written (see `plan_update`)."""

    update: CustomerUpdate
    before: dict[str, Any]
    contacts: list[KeyContact]
    planned: dict[str, dict[str, Any]]
    removed: set[str]
    new_contacts: list[KeyContact]

    def new_unique_ref(self, customer: Customer) -> str | None:
        """The uniqueRefNo the customer takes, if it changes to one (it must be free)."""
        update = self.update
        if "unique_ref_no" in update.model_fields_set and update.unique_ref_no != (
            customer.unique_ref_no
        ):
            return update.unique_ref_no
        return None


async def update_customer(
    session: AsyncSession,
    *,
    caller: Caller,
    customer_id: str,
    changes: Mapping[str, Any] | CustomerUpdate,
    now: datetime,
) -> CustomerView:
    """A PATCH: absent fields stay, `null` clears; key contacts are added (no
    keyContactPersonId), changed (by keyContactPersonId) or removed (`deleted: true`)."""
    update = _parse_update(changes)
    customer = await _load(session, caller, customer_id)
    if customer.deleted:
        raise CustomerDeleted(customer_id, "changed")
    contacts = await repository.active_contacts(session, caller.seller_id, customer_id)
    plan = plan_update(
        seller_id=caller.seller_id, customer=customer, contacts=contacts, update=update, now=now
    )
    unique_ref = plan.new_unique_ref(customer)
    if unique_ref is not None:
        await _check_unique_ref(session, caller.seller_id, unique_ref, customer_id)
    live = apply_update(session, caller=caller, customer=customer, plan=plan, now=now)
    await session.flush()
    reminders = await repository.active_reminders(session, caller.seller_id, customer_id)
    return CustomerView(customer, live, reminders)


def plan_update(
    *,
    seller_id: str,
    customer: Customer,
    contacts: list[KeyContact],
    update: CustomerUpdate,
    now: datetime,
) -> PlannedUpdate:
    """Every check of a PATCH against the customer and its live contacts, without I/O (but
    the uniqueRefNo one): raises ValidationFailed or CustomerDeleted; writes nothing, so a
    refused row of a bulk update leaves the loaded rows as they were."""
    if customer.deleted:
        raise CustomerDeleted(customer.id, "changed")
    given = update.model_fields_set
    errors: list[FieldError] = []
    for name, wire in (("legal_name", "legalName"), ("status", "status")):
        if name in given and getattr(update, name) is None:
            errors.append(FieldError(wire, "cannot be cleared", None))
    if "customer_key_contacts" in given and update.customer_key_contacts is None:
        errors.append(
            FieldError("customerKeyContacts", "cannot be cleared; remove contacts one by one", None)
        )
    plan = PlannedUpdate(
        update=update,
        before=snapshot(customer, contacts),
        contacts=contacts,
        planned={},
        removed=set(),
        new_contacts=[],
    )
    checks, touched_paths = _plan_contacts(plan, seller_id, customer.id, now, errors)
    for contact in contacts:
        if contact.id in plan.removed:
            continue
        merged = {f: getattr(contact, f) for f in _CONTACT_FIELDS + _CONTACT_FLAGS}
        merged |= plan.planned.get(contact.id, {})
        checks[contact.id] = ContactCheck(
            path=touched_paths.get(contact.id, "customerKeyContacts"),
            is_new=False,
            name=merged["name"],
            email=merged["email"],
            mobile=merged["mobile"],
            mail_enabled=merged["mail_enabled"],
            sms_enabled=merged["sms_enabled"],
            whatsapp_enabled=merged["whatsapp_enabled"],
        )
    pan = update.pan_or_gstin if "pan_or_gstin" in given else customer.pan_or_gstin
    state = update.state if "state" in given else customer.state
    errors += validate_customer_fields(
        pan_or_gstin=pan, state=state, contacts=list(checks.values())
    )
    if errors:
        raise ValidationFailed(errors)
    return plan


def _plan_contacts(
    plan: PlannedUpdate, seller_id: str, customer_id: str, now: datetime, errors: list[FieldError]
) -> tuple[dict[str, ContactCheck], dict[str, str]]:
    """The key contact patches: new ones, changes by keyContactPersonId, removals."""
    by_id = {contact.id: contact for contact in plan.contacts}
    checks: dict[str, ContactCheck] = {}
    touched_paths: dict[str, str] = {}
    for index, patch in enumerate(plan.update.customer_key_contacts or []):
        path = f"customerKeyContacts.{index}"
        if patch.key_contact_person_id is None:
            if patch.deleted:
                continue
            checks[f"new:{index}"] = new_contact_check(path, patch)
            plan.new_contacts.append(
                new_contact(seller_id=seller_id, customer_id=customer_id, contact=patch, now=now)
            )
            continue
        existing = by_id.get(patch.key_contact_person_id)
        if existing is None:
            errors.append(
                FieldError(
                    f"{path}.keyContactPersonId",
                    "is not a key contact of this customer",
                    patch.key_contact_person_id,
                )
            )
            continue
        touched_paths[existing.id] = path
        if patch.deleted:
            plan.removed.add(existing.id)
            continue
        fields = plan.planned.setdefault(existing.id, {})
        for field in _CONTACT_FIELDS + _CONTACT_FLAGS:
            if field in patch.model_fields_set:
                value = getattr(patch, field)
                fields[field] = False if field in _CONTACT_FLAGS and value is None else value
    return checks, touched_paths


def apply_update(
    session: AsyncSession, *, caller: Caller, customer: Customer, plan: PlannedUpdate, now: datetime
) -> list[KeyContact]:
    """Write a planned PATCH into the loaded rows (flushed by the caller, one flush for a
    whole bulk batch); version and audit entry only if something changed. Answers the
    live contacts."""
    update, given = plan.update, plan.update.model_fields_set
    for contact in plan.contacts:
        if contact.id in plan.removed:
            contact.deleted = True
            contact.updated_at = now
        elif contact.id in plan.planned:
            for field, value in plan.planned[contact.id].items():
                setattr(contact, field, value)
            contact.updated_at = now
    for field in _SIMPLE_FIELDS:
        if field in given:
            setattr(customer, field, getattr(update, field))
    if "legal_name" in given and update.legal_name is not None:
        customer.legal_name = update.legal_name
    if "status" in given and update.status is not None:
        customer.status = update.status
    session.add_all(plan.new_contacts)
    live = [c for c in plan.contacts if c.id not in plan.removed] + plan.new_contacts
    _record_change(
        session,
        caller=caller,
        customer=customer,
        action=AuditAction.UPDATED,
        before=plan.before,
        after=snapshot(customer, live),
        now=now,
    )
    return live


async def _set_status(
    session: AsyncSession,
    *,
    caller: Caller,
    customer_id: str,
    status: CustomerStatus,
    now: datetime,
) -> CustomerView:
    customer = await _load(session, caller, customer_id)
    if customer.deleted and status == CustomerStatus.ACTIVE:
        raise CustomerDeleted(customer_id, "activated")
    view = await _view(session, customer)
    before = snapshot(customer, view.contacts)
    customer.status = status.value
    action = AuditAction.ACTIVATED if status == CustomerStatus.ACTIVE else AuditAction.DEACTIVATED
    # A repeated activate/deactivate changes nothing: no new version, no audit entry.
    _record_change(
        session,
        caller=caller,
        customer=customer,
        action=action,
        before=before,
        after=snapshot(customer, view.contacts),
        now=now,
    )
    await session.flush()
    return view


async def activate(
    session: AsyncSession, *, caller: Caller, customer_id: str, now: datetime
) -> CustomerView:
    return await _set_status(
        session, caller=caller, customer_id=customer_id, status=CustomerStatus.ACTIVE, now=now
    )


async def deactivate(
    session: AsyncSession, *, caller: Caller, customer_id: str, now: datetime
) -> CustomerView:
    return await _set_status(
        session, caller=caller, customer_id=customer_id, status=CustomerStatus.INACTIVE, now=now
    )


async def delete_customer(
    session: AsyncSession, *, caller: Caller, customer_id: str, now: datetime
) -> CustomerView:
    """Soft delete: the customer stays readable with `deleted: true`; deleting twice is fine."""
    customer = await _load(session, caller, customer_id)
    view = await _view(session, customer)
    before = snapshot(customer, view.contacts)
    customer.deleted = True
    _record_change(
        session,
        caller=caller,
        customer=customer,
        action=AuditAction.DELETED,
        before=before,
        after=snapshot(customer, view.contacts),
        now=now,
    )
    await session.flush()
    return view


async def search_customers(
    session: AsyncSession,
    *,
    caller: Caller,
    where: CustomerFilter,
    limit: int,
    offset: int,
    order_by: str,
    descending: bool,
) -> tuple[list[CustomerView], int]:
    """One page and the total count (two statements, whatever the page size)."""
    column = repository.ORDERABLE.get(order_by)
    if column is None:
        allowed = ", ".join(repository.ORDERABLE)
        raise ValidationFailed([FieldError("orderBy", f"must be one of {allowed}", order_by)])
    rows, total = await repository.search(
        session,
        seller_id=caller.seller_id,
        where=where,
        limit=limit,
        offset=offset,
        order_column=column,
        descending=descending,
    )
    return [CustomerView(r.customer, r.contacts, r.reminders) for r in rows], total


async def history(session: AsyncSession, *, caller: Caller, customer_id: str) -> list[Any]:
    customer = await _load(session, caller, customer_id)
    return await audit.history(
        session, seller_id=caller.seller_id, entity_type=ENTITY, entity_id=customer.id
    )
