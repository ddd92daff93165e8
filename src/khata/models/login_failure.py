"""Failed logins per OAuth client, counted by every process (the failed-login throttle)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class LoginFailure(Base):
    __tablename__ = "login_failure"

    # The seller the client id names (client ids start with it), so the key starts with it.
    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
