"""GET /api/v0/credit-note/{id}/pdf: the GST credit note as a file, checked by its text: the
title, its number and date, the invoice it reduces, the reason and the tax it reverses."""

import httpx

from tests.credit.support import credited
from tests.invoice.ar_factories import create_invoice
from tests.invoice.test_pdf_endpoints import pdf_text
from tests.support import Database, SellerContext, create_customer


async def test_credit_note_pdf_names_the_invoice_reason_and_tax_reversed(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, legal_name="Nandi Stores")
    invoice = await create_invoice(
        client, seller, customer_id, invoiceNumber="AR-CN-PDF", invoiceDate="2026-11-02"
    )
    note = await credited(
        client, seller, invoice["invoiceId"], amount=118, date="2026-11-20", reason="Rate revised"
    )
    path = f"/api/v0/credit-note/{note['creditNoteId']}/pdf"
    first = await client.get(path, headers=seller.headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["content-disposition"] == 'attachment; filename="CN-1.pdf"'
    text = pdf_text(first.content)
    for expected in (
        "CREDIT NOTE",
        "Credit note No. CN-1",
        "Credit note date 20 Nov 2026",
        "Against invoice AR-CN-PDF",
        "Invoice date 02 Nov 2026",
        "Reason: Rate revised",
        "Nandi Stores",
        "CGST ₹9.00",
        "SGST ₹9.00",
        "Tax reversed ₹18.00",
        "Credit note total ₹118.00",
        "Rupees One Hundred Eighteen Only",
    ):
        assert expected in text, (expected, text)
    assert "TAX INVOICE" not in text
    assert "Balance due" not in text
    again = await client.get(path, headers=seller.headers)
    assert again.content == first.content


async def test_credited_invoice_pdf_asks_only_for_what_is_left(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, invoiceNumber="AR-CN-LEFT")
    await credited(client, seller, invoice["invoiceId"], amount=118)
    answer = await client.get(f"/api/v0/invoice/{invoice['invoiceId']}/pdf", headers=seller.headers)
    text = pdf_text(answer.content)
    assert "Credit notes and write-offs ₹118.00" in text, text
    assert "Balance due ₹1,062.00" in text
