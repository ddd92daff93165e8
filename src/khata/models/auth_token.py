"""Access, refresh and API-key tokens, stored only as SHA-256 hashes."""

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class AuthToken(Base):
    __tablename__ = "auth_token"
    __table_args__ = (
        UniqueConstraint("seller_id", "token_hash"),
        ForeignKeyConstraint(
            ["seller_id", "principal_id"], ["principal.seller_id", "principal.id"]
        ),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # access | refresh | api_key
    token_hash: Mapped[str] = mapped_column(String(64))
    principal_id: Mapped[str] = mapped_column(String(24))
    client_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(200), default="read write")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
