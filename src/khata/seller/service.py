"""Creating a seller: the tenant row, an admin principal and OAuth client credentials."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.secrets import hash_password, hash_token
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.gst import is_valid_gstin, normalize_state
from khata.kit.ids import new_object_id, new_secret, new_seller_id
from khata.models import OAuthClient, Principal, Seller


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
            type="admin",
            name=f"{name.strip()} Admin",
            email=email,
            password_hash=hash_password(password),
            active=True,
            created_at=now,
        )
    )
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
    await session.flush()
    return NewSeller(seller_id, email, password, client_id, client_secret)


async def count_sellers(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Seller))).scalar_one())
