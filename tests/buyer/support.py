"""Helpers of the buyer-side tests: a seller that takes UPI and bank transfers, a dispatched
invoice and its link's key, the page's CSRF token, and the forms posted as a browser would."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update

from khata.models import Seller
from tests.invoice.ar_factories import create_invoice, dispatch
from tests.support import Database, SellerContext

UPI_ID = "test.traders@okaxis"
ACCOUNT_NUMBER = "50200012345678"
# 2026-11-21 12:00 in Kolkata: the suite's day.
NOON_IST = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)


async def take_payments(database: Database, seller_id: str, *, upi: bool = True) -> None:
    """Give the seller the profile a payment page needs (written directly: the seller profile's
    wire is not this package's)."""
    async with database.session_factory() as session, session.begin():
        await session.execute(
            update(Seller)
            .where(Seller.id == seller_id)
            .values(
                address="12 MG Road, Bengaluru 560001",
                upi_id=UPI_ID if upi else None,
                bank_account_name="Test Traders Pvt Ltd",
                bank_account_number=ACCOUNT_NUMBER,
                bank_ifsc="HDFC0001234",
                bank_name="HDFC Bank",
            )
        )


@dataclass
class Linked:
    invoice_id: str
    invoice_number: str
    key: str

    @property
    def path(self) -> str:
        return f"/pay/{self.key}"


async def dispatched_invoice(
    client: httpx.AsyncClient, seller: SellerContext, customer_id: str, **overrides: Any
) -> Linked:
    made = await create_invoice(client, seller, customer_id, **overrides)
    result = await dispatch(client, seller, made["invoiceId"])
    link: str = result["results"][0]["paymentLink"]
    key = link.rsplit("/pay/", 1)[1]
    return Linked(made["invoiceId"], made["invoiceNumber"], key)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, linked: Linked, action: str, **fields: str
) -> httpx.Response:
    """Open the page, take its token, post the form (no redirects followed)."""
    page = await client.get(linked.path)
    data = {"csrf": csrf_of(page.text), **fields}
    return await client.post(f"{linked.path}/{action}", data=data)


async def report(
    client: httpx.AsyncClient,
    linked: Linked,
    amount: str = "1180",
    *,
    utr: str = "HDFCN52026112100123",
    paid_on: str = "2026-11-20",
    mode: str = "NEFT",
) -> httpx.Response:
    return await post_form(
        client, linked, "payment", utr=utr, amount=amount, paid_on=paid_on, mode=mode
    )


async def answer(
    client: httpx.AsyncClient, linked: Linked, response: str, reason: str = ""
) -> httpx.Response:
    return await post_form(client, linked, "answer", response=response, reason=reason)
