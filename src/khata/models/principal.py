"""Who acts: an admin (a person who logs in) or an api principal (an integration)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class PrincipalType(StrEnum):
    ADMIN = "admin"
    API = "api"
    # Never a stored principal: the actor of what a buyer does on an invoice's payment link
    # (its audit entries and the payments it reports).
    BUYER = "buyer"


class Principal(Base):
    __tablename__ = "principal"
    __table_args__ = (
        UniqueConstraint("seller_id", "email"),
        # The console's sign-in knows the e-mail, not the seller.
        Index("ix_principal_email", "email"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    type: Mapped[str] = mapped_column(String(8))  # PrincipalType
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
