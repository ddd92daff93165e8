"""The payment link's key is the only credential: forms carry a token tied to it, every answer
keeps the page private (CSP, noindex, no referrer), actions are rate-limited per link in the
database, and logs never hold a key in full."""

import base64
import hashlib
import logging
import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from khata.web.logmask import PaymentKeyFilter, mask_keys
from tests.buyer.support import NOON_IST, answer, csrf_of, dispatched_invoice, report
from tests.invoice.ar_factories import get_invoice
from tests.support import Clock, Database, SellerContext, create_customer


def _assert_private(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "script-src" not in policy
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_every_answer_about_a_link_is_private(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    page = await client.get(linked.path)
    answers = [
        page,
        await client.get(f"{linked.path}/pdf"),
        await client.get("/pay/no-such-key-at-all-0123456789"),
        await answer(client, linked, "ACCEPT"),  # the redirect
        await answer(client, linked, "DISPUTE"),  # a refused form
    ]

    for response in answers:
        _assert_private(response)
    # The page's one stylesheet is the one its policy lets in, by hash; it has no script.
    css = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and " style=" not in page.text


async def test_a_form_without_the_links_token_is_refused(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    other = await dispatched_invoice(client, seller, customer_id)
    foreign_token = csrf_of((await client.get(other.path)).text)

    for token in ("", "0" * 64, foreign_token):
        refused = await client.post(
            f"{linked.path}/answer", data={"csrf": token, "response": "ACCEPT"}
        )
        assert refused.status_code == 403
        assert "reload the page" in refused.text
        paid = await client.post(
            f"{linked.path}/payment",
            data={"csrf": token, "utr": "UTR12345", "amount": "10", "paid_on": "2026-11-20",
                  "mode": "UPI"},
        )  # fmt: skip
        assert paid.status_code == 403
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["buyerResponse"] is None
    assert invoice["receivableStatus"]["name"] == "SENT_TO_BUYER"


async def test_reports_and_answers_are_rate_limited_per_link(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, clock: Clock, app: FastAPI
) -> None:
    limit = app.state.settings.buyer_actions_per_hour
    clock.fixed = NOON_IST
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    neighbour = await dispatched_invoice(client, seller, customer_id)

    assert (await report(client, linked, "1")).status_code == 303
    for turn in range(limit - 1):
        taken = await answer(client, linked, "ACCEPT" if turn % 2 else "DISPUTE", f"r{turn}")
        assert taken.status_code == 303, turn

    over = await answer(client, linked, "ACCEPT")
    assert over.status_code == 429 and "Too many attempts" in over.text
    assert (await report(client, linked, "1", utr="UTR-LATE")).status_code == 429
    # Another link of the same buyer has its own count.
    assert (await answer(client, neighbour, "ACCEPT")).status_code == 303
    # An hour later the link takes answers again.
    clock.fixed = NOON_IST + timedelta(hours=1, seconds=1)
    assert (await answer(client, linked, "ACCEPT")).status_code == 303


async def test_access_logs_never_hold_a_key_in_full(app: FastAPI) -> None:
    key = "Zk3vQw9xLmN2pR7sT1uV5yB8cD0eF4gH"
    assert mask_keys(f"/pay/{key}/pdf?x=1") == "/pay/Zk3v…/pdf?x=1"
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, PaymentKeyFilter) for f in access.filters)
    # A record as uvicorn's access log makes it: (client, method, path, version, status).
    record = access.makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/pay/{key}", "1.1", 200), None,
    )  # fmt: skip
    assert access.filter(record)
    message = record.getMessage()
    assert key not in message and "GET /pay/Zk3v…" in message
