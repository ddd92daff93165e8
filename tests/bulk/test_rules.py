"""Row rules of invoice files: every validation failure and every warning, row by row."""

import httpx
from sqlalchemy import select

from khata.models import Delivery, Invoice
from tests.bulk.factories import csv_bytes, invoice_row, read_csv_report, upload
from tests.support import Database, SellerContext, create_customer

FIELDS = [
    "invoiceNumber",
    "customerId",
    "invoiceDate",
    "dueDate",
    "baseAmount",
    "cgst",
    "sgst",
    "igst",
    "tds",
    "gstExclusive",
    "mobileNumber",
]


async def test_every_rule_names_every_problem_of_its_row(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    good = await create_customer(database, seller.seller_id)
    inactive = await create_customer(database, seller.seller_id, status="INACTIVE")
    deleted = await create_customer(database, seller.seller_id, deleted=True)
    foreign = await create_customer(database, other_seller.seller_id)
    cases = [
        (invoice_row("", good), "invoiceNumber: is required"),
        (
            invoice_row("R2", good, invoiceDate="2025/13/01"),
            "invoiceDate: must be a date as yyyy-MM-dd, dd-MM-yyyy or dd/MM/yyyy "
            "(got '2025/13/01')",
        ),
        (
            invoice_row("R3", good, dueDate="2025-01-09"),
            "dueDate: must be on or after invoiceDate",
        ),
        (
            invoice_row("R4", good, baseAmount="0.05", cgst="0", sgst="0"),
            "baseAmount: must be at least 0.1",
        ),
        (
            invoice_row("R5", good, igst="5"),
            "igst: cannot be combined with cgst/sgst on one invoice",
        ),
        (invoice_row("R6", good, sgst="80"), "sgst: must equal cgst"),
        (
            invoice_row("R7", good, baseAmount="NaN"),
            "baseAmount: must be a finite number (got 'NaN')",
        ),
        (
            invoice_row("R8", good, baseAmount="-5"),
            "baseAmount: must not be negative (got '-5')",
        ),
        (
            invoice_row("R9", good, tds="Infinity"),
            "tds: must be a finite number (got 'Infinity')",
        ),
        (
            invoice_row("R10", good, gstExclusive="maybe"),
            "gstExclusive: must be true/false, yes/no or 1/0 (got 'maybe')",
        ),
        (invoice_row("R11", inactive), f"customerId: customer '{inactive}' is not ACTIVE"),
        (invoice_row("R12", deleted), f"customerId: customer '{deleted}' is deleted"),
        (invoice_row("R13", foreign), f"customerId: customer '{foreign}' not found"),
        (
            invoice_row("", good, baseAmount="abc", mobileNumber="12ab"),
            "invoiceNumber: is required; baseAmount: must be a number (got 'abc'); "
            "mobileNumber: must be a 10-digit number, optionally preceded by a country code "
            "(+91 or 0091) (got '12ab')",
        ),
        (invoice_row("R15", good, dueDate=""), "dueDate: is required"),
    ]
    rows = [row for row, _ in cases]
    response = await upload(client, seller.headers, csv_bytes(rows, FIELDS))
    payload = response.json()["payload"]
    assert (payload["total_count"], payload["success_count"], payload["failure_count"]) == (
        15,
        0,
        15,
    )
    assert [r["error"] for r in payload["failureRequests"]] == [error for _, error in cases]
    report = read_csv_report(
        (await client.get(payload["failure_file_url"], headers=seller.headers)).content
    )
    assert [r["error"] for r in report] == [error for _, error in cases]
    # The negative amount is echoed, escaped so a spreadsheet never runs it.
    assert report[7]["baseAmount"] == "'-5"
    async with database.session_factory() as session:
        count = len(
            (
                await session.execute(
                    select(Invoice.id).where(Invoice.seller_id == seller.seller_id)
                )
            ).all()
        )
    assert count == 0


async def test_accepted_spellings_dates_booleans_bom_and_header_case(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    text = (
        "\ufeffINVOICENUMBER,customerid,InvoiceDate,duedate,BaseAmount,gstExclusive,"
        "partialPaymentAllowed,Region\r\n"
        f"A1,{customer},31-01-2025,28/02/2025,100,no,0,South\r\n"
        f'A2,{customer},2025-01-31,2025-01-31,100,YES,1,=HYPERLINK("x")\r\n'
    )
    response = await upload(client, seller.headers, text.encode("utf-8"))
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"]) == (2, 0)
    assert payload["successRequests"][0]["Region"] == "South"
    async with database.session_factory() as session:
        result = await session.execute(select(Invoice).where(Invoice.seller_id == seller.seller_id))
        saved = {i.invoice_number: i for i in result.scalars()}
    first = saved["A1"]
    assert (first.invoice_date.isoformat(), first.due_date.isoformat()) == (
        "2025-01-31",
        "2025-02-28",
    )
    assert (first.gst_exclusive, first.partial_payment_allowed) == (False, False)
    assert (saved["A2"].gst_exclusive, saved["A2"].partial_payment_allowed) == (True, True)
    assert first.extra == {"Region": "South"}
    report = read_csv_report(
        (await client.get(payload["success_file_url"], headers=seller.headers)).content
    )
    assert report[1]["Region"] == '\'=HYPERLINK("x")'
    assert list(report[0]) == [
        "invoiceNumber",
        "customerId",
        "invoiceDate",
        "dueDate",
        "baseAmount",
        "gstExclusive",
        "partialPaymentAllowed",
        "Region",
        "invoiceId",
        "warnings",
    ]


async def test_warnings_rounding_place_of_supply_and_dispatch(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    local = await create_customer(database, seller.seller_id, state="29")
    remote = await create_customer(database, seller.seller_id, state="27")
    silent = await create_customer(database, seller.seller_id, contacts=[])
    columns = [*FIELDS, "dispatchNow"]
    rows = [
        invoice_row("W1", local, cgst="10.005", sgst="10.005"),
        invoice_row("W2", remote),
        invoice_row("W3", local, cgst="0", sgst="0", igst="180"),
        invoice_row("W4", silent, dispatchNow="true"),
        invoice_row("W5", local, dispatchNow="yes"),
        invoice_row("W6", remote, cgst="0", sgst="0", igst="180"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, columns))
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["warn_count"], payload["failure_count"]) == (
        6,
        4,
        0,
    )
    assert [r["warnings"] for r in payload["successRequests"]] == [
        "cgst: 10.005 rounded to 10.01; sgst: 10.005 rounded to 10.01",
        "cgst/sgst: customer is in another state (inter-state): expected igst",
        "igst: customer is in the seller's state (intra-state): expected cgst+sgst",
        "dispatchNow: customer has no key contact with an enabled channel; not dispatched",
        "",
        "",
    ]
    # W1: 1000 + 10.01 + 10.01; the others 1180 each.
    assert payload["total_amount"] == 1020.02 + 5 * 1180
    async with database.session_factory() as session:
        result = await session.execute(select(Invoice).where(Invoice.seller_id == seller.seller_id))
        saved = {i.invoice_number: i for i in result.scalars()}
        deliveries = (
            (await session.execute(select(Delivery).where(Delivery.seller_id == seller.seller_id)))
            .scalars()
            .all()
        )
    assert (saved["W4"].dispatched, saved["W4"].receivable_status) == (False, "CREATED")
    assert (saved["W5"].dispatched, saved["W5"].receivable_status) == (True, "SENT_TO_BUYER")
    assert saved["W5"].payment_link_key
    assert [(d.channel, d.recipient, d.invoice_id) for d in deliveries] == [
        ("EMAIL", "asha@buyer.example", saved["W5"].id)
    ]


async def test_amounts_above_the_money_cap_fail_like_the_api(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    rows = [
        invoice_row("C1", customer, baseAmount="999999999999.99", cgst="0", sgst="0"),
        invoice_row("C2", customer, baseAmount="1000000000000", cgst="0", sgst="0"),
        invoice_row("C3", customer, baseAmount="999999999999999.00", cgst="0", sgst="0"),
        invoice_row("C4", customer, baseAmount="100", cgst="1e30", sgst="1e30"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, FIELDS))
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"]) == (1, 3)
    assert payload["total_amount"] == 999999999999.99
    assert [r["error"] for r in payload["failureRequests"]] == [
        "baseAmount: must not exceed 999999999999.99 (got '1000000000000')",
        "baseAmount: must not exceed 999999999999.99 (got '999999999999999.00')",
        "cgst: must not exceed 999999999999.99 (got '1e30'); "
        "sgst: must not exceed 999999999999.99 (got '1e30')",
    ]
    async with database.session_factory() as session:
        stored = (
            await session.execute(
                select(Invoice.invoice_number, Invoice.base_amount).where(
                    Invoice.seller_id == seller.seller_id
                )
            )
        ).all()
    assert [tuple(r) for r in stored] == [("C1", 99999999999999)]


async def test_cross_field_rules_and_contacts_match_the_create_api(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    columns = [*FIELDS, "emailAddress"]
    rows = [
        # gstExclusive false: netAmount = baseAmount (1000), so a tds of 1100 is too much.
        invoice_row("T1", customer, tds="1100", gstExclusive="false"),
        invoice_row("T2", customer, tds="1180"),
        invoice_row("T3", customer, cgst="10", sgst="20", igst="5", tds="2000"),
        invoice_row("T4", customer, baseAmount="0.05", cgst="x", sgst="0"),
        invoice_row("T5", customer, emailAddress="ap@buyer.example."),
        invoice_row("T6", customer, emailAddress="ap@buyer.example", mobileNumber="+91 9876543210"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, columns))
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"]) == (2, 4)
    assert payload["total_amount"] == 2360.0
    assert [r["invoiceNumber"] for r in payload["successRequests"]] == ["T2", "T6"]
    assert [r["error"] for r in payload["failureRequests"]] == [
        "tds: cannot exceed the net amount",
        "igst: cannot be combined with cgst/sgst on one invoice; sgst: must equal cgst; "
        "tds: cannot exceed the net amount",
        "cgst: must be a number (got 'x'); baseAmount: must be at least 0.1",
        "emailAddress: must be a valid email address (got 'ap@buyer.example.')",
    ]
    # The same rows through the create API are refused with the same field messages.
    api = await client.post(
        "/api/v0/invoice",
        headers=seller.headers,
        json={
            "customerId": customer,
            "invoiceNumber": "T1",
            "invoiceDate": "2025-01-10",
            "dueDate": "2025-02-09",
            "baseAmount": 1000,
            "cgst": 90,
            "sgst": 90,
            "tds": 1100,
            "gstExclusive": False,
        },
    )
    assert api.status_code == 400
    assert [(e["field"], e["message"]) for e in api.json()["errorResponse"]["apiSubErrors"]] == [
        ("tds", "cannot exceed the net amount")
    ]


async def test_ragged_rows_short_ones_miss_cells_long_ones_fail_naming_the_extra_cells(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    header = "invoiceNumber,customerId,invoiceDate,dueDate,baseAmount,note"
    text = (
        f"{header}\n"
        f"G1,{customer},2025-01-10,2025-02-09,100,ok,,\n"  # trailing empty cells: fine
        f"G2,{customer},2025-01-10,2025-02-09,100,ok,stray,=1+1\n"
        f"G3,{customer},2025-01-10\n"
        f"G4,{customer},2025-01-10,2025-02-09,abc,x,y\n"
    )
    response = await upload(client, seller.headers, text.encode())
    payload = response.json()["payload"]
    assert (payload["total_count"], payload["success_count"], payload["failure_count"]) == (
        4,
        1,
        3,
    )
    assert payload["total_amount"] == 100.0
    assert [(r["invoiceNumber"], r["error"]) for r in payload["failureRequests"]] == [
        ("G2", "row has 8 cells but the header has 6 columns (extra: 'stray', '=1+1')"),
        ("G3", "dueDate: is required; baseAmount: is required"),
        (
            "G4",
            "row has 7 cells but the header has 6 columns (extra: 'y'); "
            "baseAmount: must be a number (got 'abc')",
        ),
    ]
    report = read_csv_report(
        (await client.get(payload["failure_file_url"], headers=seller.headers)).content
    )
    assert list(report[0].values()) == [
        "G2",
        customer,
        "2025-01-10",
        "2025-02-09",
        "100",
        "ok",
        "row has 8 cells but the header has 6 columns (extra: 'stray', '=1+1')",
    ]


async def test_dispatch_now_rows_send_what_an_api_dispatch_sends(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    """One builder: the invoice's own e-mail gets no second copy when a key contact (here
    asha@buyer.example) already receives the message there; another address gets its own."""
    customer = await create_customer(database, seller.seller_id)
    columns = [*FIELDS, "emailAddress", "dispatchNow"]
    rows = [
        invoice_row("D1", customer, emailAddress="ASHA@buyer.example", dispatchNow="true"),
        invoice_row("D2", customer, emailAddress="accounts@buyer.example", dispatchNow="true"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, columns))
    assert response.json()["payload"]["success_count"] == 2, response.text
    async with database.session_factory() as session:
        numbers = {
            i.id: i.invoice_number
            for i in (
                await session.scalars(select(Invoice).where(Invoice.seller_id == seller.seller_id))
            )
        }
        deliveries = (
            await session.scalars(select(Delivery).where(Delivery.seller_id == seller.seller_id))
        ).all()
    sent = sorted((numbers[str(d.invoice_id)], d.channel, d.recipient) for d in deliveries)
    assert sent == [
        ("D1", "EMAIL", "asha@buyer.example"),
        ("D2", "EMAIL", "accounts@buyer.example"),
        ("D2", "EMAIL", "asha@buyer.example"),
    ]
