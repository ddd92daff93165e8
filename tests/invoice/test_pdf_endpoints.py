"""GET /api/v0/invoice/{id}/pdf and GET /invoices/{id}/pdf: the tax invoice as a file, behind
each dialect's auth and tenant wall, the same bytes for the same invoice state."""

import io

import httpx
from pypdf import PdfReader

from tests.document import rule46
from tests.invoice.ar_factories import create_invoice
from tests.order.factories import post_order
from tests.seller.test_settings import _admin_headers
from tests.support import Database, SellerContext, create_customer

ADDRESS = "12 MG Road, Bengaluru, Karnataka 560001"
UPI_ID = "test.traders@okaxis"


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return rule46.normalised(" ".join(page.extract_text() for page in pages))


async def set_profile(client: httpx.AsyncClient, seller: SellerContext, **fields: object) -> None:
    admin = await _admin_headers(client, seller)
    changed = await client.patch("/api/v0/seller", json=fields, headers=admin)
    assert changed.status_code == 200, changed.text


async def test_ar_pdf_is_the_invoice_as_a_file_and_changes_only_with_the_invoice(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    await set_profile(client, seller, address=ADDRESS, upiId=UPI_ID)
    customer_id = await create_customer(database, seller.seller_id, legal_name="Nandi Stores")
    invoice = await create_invoice(client, seller, customer_id, invoiceNumber="AR-PDF-1")
    path = f"/api/v0/invoice/{invoice['invoiceId']}/pdf"

    first = await client.get(path, headers=seller.headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["content-disposition"] == 'attachment; filename="AR-PDF-1.pdf"'
    assert first.content.startswith(b"%PDF-")
    text = pdf_text(first.content)
    for expected in (
        "AR-PDF-1",
        "Test Traders Pvt Ltd",
        ADDRESS,
        "Nandi Stores",
        "₹1,180.00",
        "Rupees One Thousand One Hundred Eighty Only",
        f"UPI ID: {UPI_ID}",
    ):
        assert expected in text, expected

    again = await client.get(path, headers=seller.headers)
    assert again.content == first.content

    changed = await client.patch(
        f"/api/v0/invoice/{invoice['invoiceId']}", json={"baseAmount": 2000}, headers=seller.headers
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(path, headers=seller.headers)
    assert after.content != first.content
    assert "₹2,180.00" in pdf_text(after.content)


async def test_without_a_upi_id_the_pdf_offers_the_bank_account_and_no_upi(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    await set_profile(
        client,
        seller,
        address=ADDRESS,
        bankAccount={"accountNumber": "918020012345678", "ifsc": "UTIB0000123"},
    )
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    response = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/pdf", headers=seller.headers
    )
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert invoice["invoiceNumber"] in text
    assert ADDRESS in text
    assert "Account number: 918020012345678" in text
    assert "UPI" not in text


async def test_the_file_name_is_the_invoice_number_made_safe(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, invoiceNumber='AR/26 "7";x')
    response = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/pdf", headers=seller.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="AR_26_7_x.pdf"'
    assert 'AR/26 "7";x' in pdf_text(response.content)


async def test_ar_pdf_stops_at_the_tenant_wall(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    path = f"/api/v0/invoice/{invoice['invoiceId']}/pdf"

    for headers, status, error_type in (
        (other_seller.headers, 404, "RECORD_NOT_FOUND"),
        ({}, 401, "UNAUTHORIZED"),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["errorResponse"]["errorType"] == error_type
    unknown = await client.get(
        "/api/v0/invoice/0123456789abcdef01234567/pdf", headers=seller.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["errorResponse"]["errorMessage"] == (
        "Invoice not found: 0123456789abcdef01234567"
    )

    deleted = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [invoice["invoiceId"]]},
        headers=seller.headers,
    )
    assert deleted.json()["payload"]["successCount"] == 1
    gone = await client.get(path, headers=seller.headers)
    assert gone.status_code == 404
    assert gone.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"


async def test_commerce_pdf_shows_the_order_lines_and_stops_at_the_tenant_wall(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Kaveri Stores")
    order = await post_order(client, seller, customer_id)
    made = await client.post("/invoices", json={"orderId": order["id"]}, headers=seller.headers)
    assert made.status_code == 201, made.text
    invoice = made.json()["data"]
    path = f"/invoices/{invoice['id']}/pdf"

    response = await client.get(path, headers=seller.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    number = invoice["invoiceNumber"]
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    text = pdf_text(response.content)
    assert number in text and "Kaveri Stores" in text
    assert all(name in text for name in ("Widget", "Gadget", "Gizmo"))
    # The same invoice through the other dialect is the same document.
    ar = await client.get(f"/api/v0/invoice/{invoice['id']}/pdf", headers=seller.headers)
    assert ar.content == response.content

    walled = await client.get(path, headers=other_seller.headers)
    assert walled.status_code == 404
    assert walled.json() == {"success": False, "message": f"Invoice not found: {invoice['id']}"}
    anonymous = await client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["success"] is False
