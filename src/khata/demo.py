"""`khata demo`: a seller with customers, orders and invoices to try, made through the public API.

The data goes in over HTTP (in-process, no server needed), so the demo exercises exactly what an
integration would call and never drifts from the contract.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from khata.app import create_app
from khata.auth import service as auth_service
from khata.config import Settings
from khata.db import create_engine, create_session_factory, serialize, unit_of_work
from khata.kit.timeutil import utc_now
from khata.seller import service as seller_service

DEMO_GSTIN = "27AAPFU0939F1ZV"

CUSTOMERS: list[dict[str, Any]] = [
    {
        "legalName": "Sahyadri Hardware Pvt Ltd",
        "panOrGstin": "AAPFU0939F",
        "state": "27",
        "pinCode": "411001",
        "uniqueRefNo": "DEMO-001",
        "customerKeyContacts": [
            {"name": "Meera Kulkarni", "email": "meera@sahyadri.example", "mobile": "9822012345"}
        ],
        "customerReminders": [
            {
                "dueDateDifference": -3,
                "reminderType": "ONCE",
                "reminderTime": "10:00",
                "stage": "gentle",
            },
            {
                "dueDateDifference": 1,
                "reminderType": "RECURRING",
                "reminderInterval": 7,
                "reminderTime": "10:00",
                "stage": "overdue",
            },
        ],
    },
    {
        "legalName": "Kaveri Electricals",
        "state": "29",
        "pinCode": "560001",
        "uniqueRefNo": "DEMO-002",
        "customerKeyContacts": [
            {"name": "Ravi Gowda", "email": "ravi@kaveri.example", "mobile": "9845012345"}
        ],
    },
]

ORDER_LINES: list[list[dict[str, Any]]] = [
    [
        {
            "sku": "PIPE-20",
            "name": "PVC pipe 20 mm",
            "quantity": 30,
            "unitPrice": 85.5,
            "taxRate": 18,
            "hsnCode": "3917",
        },
        {
            "sku": "TAP-01",
            "name": "Brass tap",
            "quantity": 20,
            "unitPrice": 42.75,
            "taxRate": 12,
            "hsnCode": "8481",
        },
    ],
    [
        {
            "sku": "WIRE-15",
            "name": "Copper wire 1.5 sq mm",
            "quantity": 15,
            "unitPrice": 104.4,
            "taxRate": 18,
            "hsnCode": "8544",
        },
        {
            "sku": "BULB-9W",
            "name": "LED bulb 9 W",
            "quantity": 50,
            "unitPrice": 39,
            "taxRate": 5,
            "hsnCode": "8539",
        },
        {"sku": "SW-6A", "name": "Switch 6 A", "quantity": 40, "unitPrice": 18.9, "taxRate": 18},
    ],
]


SELLER_PROFILE: dict[str, Any] = {
    "address": "Unit 4, Shree Industrial Estate, Bhosari MIDC, Pune, Maharashtra 411026",
    "upiId": "demotraders@okhdfcbank",
    "bankAccount": {
        "accountName": "Demo Traders Pvt Ltd",
        "accountNumber": "50200012345678",
        "ifsc": "HDFC0000123",
        "bankName": "HDFC Bank, Bhosari",
    },
    "authorisedSignatory": "Anil Deshmukh, Director",
    "invoiceFooter": "Goods once sold are not taken back. Subject to Pune jurisdiction.",
}


@dataclass
class DemoResult:
    seller: seller_service.NewSeller
    api_key: str
    customer_ids: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    invoice_ids: list[str] = field(default_factory=list)


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.text}"
        )
    return response.json()


DEMO_ADMIN_EMAIL = "admin@demo.khata.local"


async def ensure_demo_seller(session: AsyncSession) -> seller_service.NewSeller | None:
    """At start-up: a demo seller when the database has no seller yet. Servers started
    together take turns on a lock, so the second finds the first one's seller."""
    await serialize(session, "khata-demo-seller")
    if await seller_service.count_sellers(session) > 0:
        return None
    return await seller_service.create_seller(
        session,
        name="Demo Traders Pvt Ltd",
        state="27",
        gstin=DEMO_GSTIN,
        admin_email=DEMO_ADMIN_EMAIL,
        now=utc_now(),
    )


async def seed_demo(settings: Settings) -> DemoResult:
    """Create a demo seller and fill it with customers, orders and invoices."""
    engine = create_engine(settings.database_url)
    try:
        now = utc_now()
        async with unit_of_work(create_session_factory(engine)) as session:
            seller = await seller_service.create_seller(
                session, name="Demo Traders Pvt Ltd", state="27", gstin=DEMO_GSTIN, now=now
            )
            api_key, _ = await auth_service.create_api_key(
                session, seller_id=seller.seller_id, name="demo", now=now
            )
        result = DemoResult(seller=seller, api_key=api_key)
        transport = httpx.ASGITransport(app=create_app(settings, engine=engine))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo", headers={"accessToken": api_key}
        ) as client:
            await _fill_profile(client, seller)
            await _add_customers(client, result)
            await _invoice_orders(client, result)
            today = date.today()
            direct_id = await _add_overdue_invoice(client, result.customer_ids[0], today)
            result.invoice_ids.append(direct_id)
            _checked(
                await client.post(
                    "/api/v0/invoice/bulk/dispatch",
                    json={"invoiceIds": result.invoice_ids, "partialPaymentAllowed": True},
                )
            )
            await _pay_part(client, direct_id, today)
        return result
    finally:
        await engine.dispose()


async def _fill_profile(client: httpx.AsyncClient, seller: seller_service.NewSeller) -> None:
    """The address, UPI id and bank account a tax invoice shows, set by the seller's admin (the
    demo's API key is an integration's, which may not change settings)."""
    login = _checked(
        await client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "username": seller.admin_email,
                "password": seller.admin_password,
            },
            auth=(seller.client_id, seller.client_secret),
        )
    )
    admin = {"accessToken": login["access_token"]}
    _checked(await client.patch("/api/v0/seller", json=SELLER_PROFILE, headers=admin))


async def _add_customers(client: httpx.AsyncClient, result: DemoResult) -> None:
    for customer in CUSTOMERS:
        body = _checked(await client.post("/api/v0/customer", json=customer))
        result.customer_ids.append(body["payload"]["customerId"])


async def _invoice_orders(client: httpx.AsyncClient, result: DemoResult) -> None:
    """One order per customer, then one invoice per order (commerce dialect)."""
    for customer_id, lines in zip(result.customer_ids, ORDER_LINES, strict=True):
        order = _checked(
            await client.post("/orders", json={"customerId": customer_id, "lineItems": lines})
        )
        result.order_ids.append(order["data"]["id"])
    invoices = _checked(await client.post("/invoices/bulk", json={"orderIds": result.order_ids}))
    result.invoice_ids.extend(invoice["id"] for invoice in invoices["data"])


async def _add_overdue_invoice(client: httpx.AsyncClient, customer_id: str, today: date) -> str:
    """An AR invoice ten days past due, so reminders and aging have something to show."""
    direct = _checked(
        await client.post(
            "/api/v0/invoice",
            json={
                "customerId": customer_id,
                "invoiceNumber": "AR-DEMO-1",
                "invoiceDate": (today - timedelta(days=40)).isoformat(),
                "dueDate": (today - timedelta(days=10)).isoformat(),
                "baseAmount": 10000,
                "cgst": 900,
                "sgst": 900,
                "tds": 100,
                "description": "Annual maintenance contract",
            },
        )
    )
    invoice_id: str = direct["payload"]["invoiceId"]
    return invoice_id


async def _pay_part(client: httpx.AsyncClient, invoice_id: str, today: date) -> None:
    """An off-platform part payment of the invoice, left awaiting confirmation."""
    _checked(
        await client.post(
            "/api/v0/payment",
            json={
                "paymentId": "DEMO-PAY-1",
                "type": "OFFPLATFORM",
                "mode": "NEFT",
                "utr": "UTR0000DEMO1",
                "amount": 5000,
                "paidOn": today.isoformat(),
                "invoices": [{"invoiceId": invoice_id, "amount": 5000}],
            },
        )
    )
