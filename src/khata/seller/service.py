"""The seller (tenant): creating one with its admin and OAuth client, and changing its settings."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.secrets import hash_password, hash_token
from khata.auth.service import Caller
from khata.kit.errors import FieldError, Forbidden, NotFound, ValidationFailed
from khata.kit.gst import is_valid_gstin, normalize_state
from khata.kit.ids import new_object_id, new_secret, new_seller_id
from khata.models import OAuthClient, Principal, Seller
from khata.models.audit_entry import AuditAction
from khata.models.principal import PrincipalType
from khata.seller.schemas import SellerUpdate, seller_snapshot


@dataclass(frozen=True)
class NewSeller:
    seller_id: str
    admin_email: str
    admin_password: str
    client_id: str
    client_secret: str


async def create_seller(
    session: AsyncSession,
    *,
    name: str,
    state: str,
    now: datetime,
    gstin: str | None = None,
    admin_email: str | None = None,
    admin_password: str | None = None,
    invoice_prefix: str = "INV-",
    payment_terms_days: int = 30,
    time_zone: str = "Asia/Kolkata",
) -> NewSeller:
    state_code, gstin = _checked_identity(name, state, gstin)
    seller_id = new_seller_id()
    session.add(
        Seller(
            id=seller_id,
            legal_name=name.strip(),
            gstin=gstin,
            state_code=state_code,
            currency="INR",
            time_zone=time_zone,
            payment_terms_days=payment_terms_days,
            invoice_prefix=invoice_prefix,
            invoice_counter=0,
            created_at=now,
        )
    )
    await session.flush()
    email = (admin_email or f"admin@{seller_id.lower()}.khata.local").lower()
    password = admin_password or new_secret(12)
    session.add(
        Principal(
            seller_id=seller_id,
            id=new_object_id(now.timestamp()),
            type=PrincipalType.ADMIN.value,
            name=f"{name.strip()} Admin",
            email=email,
            password_hash=hash_password(password),
            active=True,
            created_at=now,
        )
    )
    client_id, client_secret = _add_oauth_client(session, seller_id, now)
    await session.flush()
    return NewSeller(seller_id, email, password, client_id, client_secret)


def _checked_identity(name: str, state: str, gstin: str | None) -> tuple[str, str | None]:
    """The seller's GST state code and normalised GSTIN, or every field error of its name,
    state and GSTIN (which must belong to that state)."""
    errors = []
    state_code = normalize_state(state)
    if state_code is None:
        errors.append(FieldError("state", "is not a GST state code or name", state))
    if gstin is not None:
        gstin = gstin.strip().upper()
        if not is_valid_gstin(gstin):
            errors.append(FieldError("gstin", "is not a valid GSTIN", gstin))
        elif state_code is not None and gstin[:2] != state_code:
            errors.append(FieldError("gstin", "does not belong to the seller's state", gstin))
    if not name.strip():
        errors.append(FieldError("name", "is required", name))
    if errors:
        raise ValidationFailed(errors)
    assert state_code is not None
    return state_code, gstin


def _add_oauth_client(session: AsyncSession, seller_id: str, now: datetime) -> tuple[str, str]:
    """The seller's default OAuth client; its id and its secret, which only this answer shows."""
    client_id = f"{seller_id}.{new_secret(9)}"
    client_secret = new_secret(32)
    session.add(
        OAuthClient(
            seller_id=seller_id,
            id=client_id,
            name="default",
            secret_hash=hash_token(client_secret),
            created_at=now,
        )
    )
    return client_id, client_secret


async def count_sellers(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Seller))).scalar_one())


class AdminOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only an admin of the seller may change its settings")


# Settings that null (or blank text) clears; every other one always has a value.
_CLEARABLE = frozenset(
    {"gstin", "address", "upi_id", "bank_account", "authorised_signatory", "invoice_footer"}
)
_PROFILE_TEXT = ("address", "upi_id", "authorised_signatory", "invoice_footer")


async def update_seller(
    session: AsyncSession, *, caller: Caller, changes: SellerUpdate, now: datetime
) -> Seller:
    """Apply the fields present in `changes` to the caller's seller, audited; a field sent as
    null is refused (every setting has a value), except those of `_CLEARABLE`, which it clears."""
    if caller.principal.type != PrincipalType.ADMIN:
        raise AdminOnly()
    seller = await session.get(Seller, caller.seller_id, with_for_update=True)
    assert seller is not None  # the caller was authenticated against this row
    state_code, gstin = _checked_update(seller, changes)
    before = seller_snapshot(seller)
    seller.gstin = gstin
    seller.state_code = state_code
    given = changes.model_fields_set
    for name in (
        "legal_name",
        "payment_terms_days",
        "invoice_prefix",
        "credit_note_prefix",
        "time_zone",
    ):
        if name in given:
            setattr(seller, name, getattr(changes, name))
    if "default_reminder_time" in given:
        seller.default_reminder_time = str(changes.default_reminder_time)
    _apply_profile(seller, changes)
    after = seller_snapshot(seller)
    if after != before:
        audit.record(
            session,
            caller=caller,
            seller_id=seller.id,
            entity_type="seller",
            entity_id=seller.id,
            action=AuditAction.UPDATED,
            now=now,
            before=before,
            after=after,
        )
    await session.flush()
    return seller


def _checked_update(seller: Seller, changes: SellerUpdate) -> tuple[str, str | None]:
    """The state code and GSTIN the seller will have, or every field error of the change."""
    given = changes.model_fields_set
    errors = [
        FieldError(to_camel(name), "must not be null", None)
        for name in given
        if getattr(changes, name) is None and name not in _CLEARABLE
    ]
    state_code = seller.state_code
    if "state" in given and changes.state is not None:
        state_code = normalize_state(changes.state) or ""
        if not state_code:
            errors.append(FieldError("state", "is not a GST state code or name", changes.state))
    gstin = seller.gstin
    if "gstin" in given:
        gstin = changes.gstin.upper() if changes.gstin else None
        if gstin is not None and not is_valid_gstin(gstin):
            errors.append(FieldError("gstin", "is not a valid GSTIN", changes.gstin))
    if gstin is not None and state_code and is_valid_gstin(gstin) and gstin[:2] != state_code:
        errors.append(FieldError("gstin", "does not belong to the seller's state", gstin))
    if errors:
        raise ValidationFailed(errors)
    return state_code, gstin


def _apply_profile(seller: Seller, changes: SellerUpdate) -> None:
    """The tax invoice and payment details present in `changes`; the bank account as a whole."""
    given = changes.model_fields_set
    for name in _PROFILE_TEXT:
        if name in given:
            setattr(seller, name, getattr(changes, name))
    if "bank_account" in given:
        account = changes.bank_account
        seller.bank_account_name = account.account_name if account else None
        seller.bank_account_number = account.account_number if account else None
        seller.bank_ifsc = account.ifsc if account else None
        seller.bank_name = account.bank_name if account else None


class SellerNotFound(NotFound):
    def __init__(self, seller_id: str) -> None:
        super().__init__(f"Seller not found: {seller_id}")


SHELL_ADMIN_NAME = "khata seller update"


async def update_seller_from_shell(
    session: AsyncSession,
    *,
    seller_id: str,
    fields: dict[str, Any],
    bank: dict[str, str],
    clear_bank: bool,
    now: datetime,
) -> Seller:
    """`khata seller update`: the operator at the shell acts as the seller's admin (an unsaved
    principal whose name goes on the audit). `fields` are PATCH fields by wire name; `bank`
    changes only the bank account fields given, keeping the stored ones."""
    seller = await session.get(Seller, seller_id)
    if seller is None:
        raise SellerNotFound(seller_id)
    body = dict(fields)
    if clear_bank:
        body["bankAccount"] = None
    elif bank:
        stored = {
            "accountName": seller.bank_account_name,
            "accountNumber": seller.bank_account_number,
            "ifsc": seller.bank_ifsc,
            "bankName": seller.bank_name,
        }
        body["bankAccount"] = {k: v for k, v in stored.items() if v is not None} | bank
    try:
        changes = SellerUpdate.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(
            [
                FieldError(".".join(str(p) for p in error["loc"]), error["msg"], None)
                for error in exc.errors()
            ]
        ) from exc
    principal = Principal(
        seller_id=seller.id,
        id=None,
        type=PrincipalType.ADMIN.value,
        name=SHELL_ADMIN_NAME,
        active=True,
    )
    return await update_seller(
        session, caller=Caller(seller=seller, principal=principal), changes=changes, now=now
    )
