"""Customers and settings in the console over HTTP: the list, one customer with contacts,
reminder rules, open invoices and its statement (downloaded and e-mailed); the seller profile
saved through the API's rules; API keys created (shown once) and revoked."""

import re

import httpx

from tests.console.support import csrf_of, signed_in_csrf
from tests.invoice.ar_factories import create_invoice
from tests.support import Database, SellerContext, create_customer


async def test_a_customer_page_shows_contacts_rules_open_invoices_and_its_statement(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id, legal_name="Kaveri Foods")
    await create_customer(database, seller.seller_id, legal_name="Other Buyer")
    rule = await client.post(
        f"/api/v0/customer/{customer}/reminder",
        json={"dueDateDifference": 3, "reminderType": "ONCE", "reminderTime": "10:00"},
        headers=seller.headers,
    )
    assert rule.status_code == 200, rule.text
    await create_invoice(client, seller, customer, invoiceNumber="KAV-1")
    await signed_in_csrf(client, seller)

    listed = await client.get("/console/customers", params={"name": "kaveri"})
    assert "1 customer" in listed.text and "Kaveri Foods" in listed.text
    assert "Other Buyer" not in listed.text

    shown = await client.get(f"/console/customers/{customer}")
    assert shown.status_code == 200
    assert "asha@buyer.example" in shown.text  # the key contact
    assert "3 days after due" in shown.text and "10:00" in shown.text
    assert "KAV-1" in shown.text.split('id="open-invoices"')[1]

    pdf = await client.get(f"/console/customers/{customer}/statement", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    table = await client.get(
        f"/console/customers/{customer}/statement",
        params={"format": "csv", "start": "2026-11-01", "end": "2026-11-21"},
    )
    assert "KAV-1" in table.text and "CLOSING" in table.text
    sent = await client.post(
        f"/console/customers/{customer}/statement/send",
        data={"csrf": csrf_of(shown.text), "start": "2026-11-01", "end": "2026-11-21"},
    )
    assert sent.status_code == 200 and "queued to asha@buyer.example" in sent.text


async def test_another_sellers_customer_is_not_found(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    theirs = await create_customer(database, other_seller.seller_id, legal_name="Not Yours Ltd")
    await signed_in_csrf(client, seller)
    for path in (f"/console/customers/{theirs}", f"/console/customers/{theirs}/statement"):
        answer = await client.get(path)
        assert answer.status_code == 404 and "Not Yours" not in answer.text


async def test_the_profile_is_saved_and_refused_by_the_apis_rules(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    await signed_in_csrf(client, seller)
    shown = await client.get("/console/settings")
    fields = dict(re.findall(r'<input id="[^"]+" name="([^"]+)" value="([^"]*)"', shown.text))
    form = fields | {
        "csrf": csrf_of(shown.text),
        "upiId": "traders@okaxis",
        "address": "12 MG Road, Bengaluru",
        "bank_accountNumber": "50200012345678",
        "bank_ifsc": "HDFC0001234",
    }
    saved = await client.post("/console/settings", data=form)
    assert saved.status_code == 303, saved.text
    profile = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert profile["upiId"] == "traders@okaxis"
    assert profile["bankAccount"]["ifsc"] == "HDFC0001234"
    assert profile["legalName"] == "Test Traders Pvt Ltd"  # unchanged, as shown

    refused = await client.post("/console/settings", data=form | {"upiId": "not a vpa"})
    assert refused.status_code == 400 and 'class="problem"' in refused.text
    assert 'value="not a vpa"' in refused.text  # the form comes back as typed
    after = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert after["upiId"] == "traders@okaxis"


async def test_an_api_key_is_shown_once_works_and_is_revoked(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    csrf = await signed_in_csrf(client, seller)
    made = await client.post("/console/settings/keys", data={"csrf": csrf, "name": "Tally sync"})
    assert made.status_code == 200
    found = re.search(r'id="new-key">([^<]+)<', made.text)
    assert found
    key = found.group(1)
    assert (await client.get("/api/v0/seller", headers={"accessToken": key})).status_code == 200
    again = await client.get("/console/settings")
    assert key not in again.text and "Tally sync" in again.text
    row = again.text.split("Tally sync</td>")[1]
    key_id = re.search(r"/console/settings/keys/([0-9a-f]{24})/revoke", row)
    assert key_id
    revoked = await client.post(
        f"/console/settings/keys/{key_id.group(1)}/revoke", data={"csrf": csrf}
    )
    assert revoked.status_code == 303
    assert (await client.get("/api/v0/seller", headers={"accessToken": key})).status_code == 401
