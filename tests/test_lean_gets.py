"""GETs of one customer and one payment are as lean as the invoice GET: the token check, then
one statement, whatever the customer has (contacts, reminder rules) or the payment covers
(invoices); and they answer exactly what the writes answered."""

import httpx
import pytest
from sqlalchemy import text

from khata.db import create_engine
from tests.customer.factories import customer_body
from tests.invoice.ar_factories import confirm, create_invoice, report_payment
from tests.support import Clock, Database, SellerContext, count_statements, create_customer

_RULES = [
    {"dueDateDifference": -3, "reminderType": "ONCE", "reminderTime": "09:30"},
    {"dueDateDifference": 1, "reminderType": "RECURRING", "reminderInterval": 7,
     "reminderTime": "18:00", "stage": "overdue"},
    {"dueDateDifference": 10, "reminderType": "ONCE", "reminderTime": "10:00"},
]  # fmt: skip


async def test_a_customer_get_is_one_statement_after_the_token_check(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    contacts = [
        {"name": f"Person {n}", "email": f"p{n}@buyer.example", "mobile": f"98765432{n}0",
         "mail_enabled": n != 1, "sms_enabled": n == 2, "whatsapp_enabled": n == 0}
        for n in range(3)
    ]  # fmt: skip
    body = customer_body(customerKeyContacts=contacts, customerReminders=_RULES)
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 200, response.text
    created = response.json()["payload"]
    assert len(created["customerKeyContacts"]) == 3 and len(created["customerReminders"]) == 3
    bare = await client.post("/api/v0/customer", json=customer_body(), headers=seller.headers)
    for customer in (created, bare.json()["payload"]):
        with count_statements(database.engine) as counter:
            fetched = await client.get(
                f"/api/v0/customer/{customer['customerId']}", headers=seller.headers
            )
        assert fetched.json()["payload"] == customer
        assert counter.count == 2, counter.statements  # the token, then the customer

    # A contact removed and a rule deleted are gone from the GET, as from every answer.
    first = created["customerKeyContacts"][0]["keyContactPersonId"]
    patch = {"customerKeyContacts": [{"keyContactPersonId": first, "deleted": True}]}
    patched = await client.patch(
        f"/api/v0/customer/{created['customerId']}", json=patch, headers=seller.headers
    )
    assert patched.status_code == 200, patched.text
    fetched = await client.get(f"/api/v0/customer/{created['customerId']}", headers=seller.headers)
    assert fetched.json()["payload"] == patched.json()["payload"]
    assert len(fetched.json()["payload"]["customerKeyContacts"]) == 2


async def test_a_payment_get_is_one_statement_after_the_token_check(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoices = [(await create_invoice(client, seller, customer))["invoiceId"] for _ in range(3)]
    reported = await report_payment(client, seller, [(invoices[0], 1180), (invoices[2], 500)])
    assert reported.status_code == 200, reported.text
    payment = reported.json()["payload"]
    confirmed = await confirm(client, seller, payment["paymentId"])
    assert confirmed.status_code == 200, confirmed.text
    for reference in (payment["paymentId"], payment["id"]):
        with count_statements(database.engine) as counter:
            fetched = await client.get(f"/api/v0/payment/{reference}", headers=seller.headers)
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["payload"] == confirmed.json()["payload"]
        assert counter.count == 2, counter.statements  # the token, then the payment
    statuses = [row["receivableStatus"]["name"] for row in fetched.json()["payload"]["invoices"]]
    assert sorted(statuses) == ["PAID", "PARTIALLY_PAID"]
    missing = await client.get("/api/v0/payment/PAY-NONE", headers=seller.headers)
    assert missing.status_code == 404


@pytest.mark.only_postgresql  # the GETs read through asyncpg directly there (db.first_row)
async def test_gets_answer_again_once_postgresql_dropped_their_connections(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer)
    paths = [f"/api/v0/invoice/{invoice['invoiceId']}", f"/api/v0/customer/{customer}"]
    before = [(await client.get(path, headers=seller.headers)).json() for path in paths]
    # The server's pooled connections die, as in a PostgreSQL restart.
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()
    statuses = [(await client.get(paths[0], headers=seller.headers)).status_code for _ in range(3)]
    # At most the first finds its connection dead (a clean 500), and the pool starts afresh.
    assert statuses in ([200, 200, 200], [500, 200, 200]), statuses
    after = [(await client.get(path, headers=seller.headers)).json() for path in paths]
    assert after == before
