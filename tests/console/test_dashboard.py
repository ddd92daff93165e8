"""The dashboard over HTTP: its outstanding and aging are the API's /api/v0/reports/aging, the
chart is inline SVG with the figures as text, and the overdue customers are ranked."""

import re
from decimal import Decimal

import httpx

from khata.document.figures import rupees
from khata.kit.money import parse_amount, to_paise
from tests.console.support import signed_in_csrf
from tests.invoice.ar_factories import create_invoice
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer


def _shown(amount: float) -> str:
    return rupees(to_paise(parse_amount(amount)[0]))


async def test_the_dashboard_shows_the_apis_aging(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    late = await create_customer(database, seller.seller_id, legal_name="Late Payer Ltd")
    early = await create_customer(database, seller.seller_id, legal_name="On Time Ltd")
    await create_invoice(client, seller, late, dueDate="2026-11-10", baseAmount=5000)
    await create_invoice(client, seller, late, invoiceDate="2026-08-01", dueDate="2026-08-20")
    await create_invoice(client, seller, early, dueDate="2026-12-20", baseAmount=700)
    aging = (await client.get("/api/v0/reports/aging", headers=seller.headers)).json()["payload"]
    await signed_in_csrf(client, seller)

    home = await client.get("/console")
    assert home.status_code == 200
    text = home.text
    outstanding = re.search(r'id="outstanding">([^<]+)<', text)
    assert outstanding and outstanding.group(1) == _shown(aging["totals"]["total"])
    for label in aging["buckets"]:
        row = re.search(
            rf'data-bucket="{re.escape(label)}"><td>[^<]+</td><td class="num">([^<]+)<', text
        )
        assert row and row.group(1) == _shown(aging["totals"][label]), label
    overdue = sum(v for k, v in aging["totals"].items() if k not in ("current", "total"))
    assert re.search(r'id="overdue">([^<]+)<', text).group(1) == _shown(overdue)  # type: ignore[union-attr]
    assert "<svg" in text and "<title" in text and "Aging of receivables" in text
    top = text.split('id="top-overdue"')[1]
    assert "Late Payer Ltd" in top and "On Time Ltd" not in top

    # DSO of the three calendar months to date: the API's figure for the same span.
    dso = await client.get(
        "/api/v0/reports/dso",
        params={"from": "2026-09-01", "to": PINNED_TODAY.isoformat()},
        headers=seller.headers,
    )
    period = dso.json()["payload"]["period"]["dso"]
    assert period is not None
    shown = re.search(r'id="dso">([^<]+)<', text)
    assert shown and shown.group(1) == f"{Decimal(str(period)):.2f} days"
