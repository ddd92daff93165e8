"""`khata demo` fills a fresh database with data a newcomer can explore through the API."""

import asyncio
from pathlib import Path

import httpx

from khata import migrate
from khata.app import create_app
from khata.config import Settings
from khata.demo import seed_demo


async def test_demo_data_is_reachable_through_both_dialects(
    scratch_database_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate.upgrade, scratch_database_url)
    settings = Settings(database_url=scratch_database_url, report_dir=str(tmp_path))
    result = await seed_demo(settings)
    assert len(result.customer_ids) == 2
    assert len(result.invoice_ids) == 3

    app = create_app(settings)
    headers = {"accessToken": result.api_key}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
    ) as client:
        search = (await client.post("/api/v0/invoice/search", json={})).json()["payload"]
        assert search["totalCount"] == 3
        statuses = {i["receivableStatus"]["name"] for i in search["invoices"]}
        assert statuses == {"SENT_TO_BUYER", "PAYMENT_INITIATED"}
        orders = (await client.get("/orders")).json()
        assert orders["count"] == 2
        assert {o["status"] for o in orders["data"]} == {"INVOICED"}
        profile = (await client.get("/api/v0/seller")).json()["payload"]
        assert profile["upiId"] == "demotraders@okhdfcbank"
        assert profile["bankAccount"]["ifsc"] == "HDFC0000123"
        assert profile["address"].endswith("411026")
        assert profile["authorisedSignatory"] == "Anil Deshmukh, Director"
        payment = await client.get("/api/v0/payment/DEMO-PAY-1")
        assert payment.json()["payload"]["status"] == "PENDING_CONFIRMATION"
    await app.state.engine.dispose()
