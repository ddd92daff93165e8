"""Benchmark: POST /invoices/bulk with 1,000 orders of 3 lines on PostgreSQL (not part of pytest).

Makes a scratch database (dropped at the end), a seller with an API key and a customer, then
5 times: inserts 1,000 fresh orders (then ANALYZE, as autovacuum would) and times one
/invoices/bulk request for all of them against
the app in-process (httpx ASGITransport). Prints p50 and max against the target p50 <= 300 ms.

    .venv/bin/python bench/bulk_orders.py [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

import httpx
from scratch import create_database, drop_database
from sqlalchemy import insert, text

from khata import migrate
from khata.app import create_app
from khata.auth import service as auth_service
from khata.config import Settings
from khata.db import create_engine, create_session_factory
from khata.kit.amounts import line_amounts
from khata.kit.ids import new_customer_id, new_object_id
from khata.kit.timeutil import utc_now
from khata.models import Customer, OrderLine, SalesOrder
from khata.seller import service as seller_service

ORDERS, LINES, RUNS = 1000, 3, 5
TARGET_P50_MS = 300.0


def order_rows(
    seller_id: str, customer_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    now = utc_now()
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for _ in range(ORDERS):
        order_id = new_object_id()
        subtotal = tax = 0
        for position, (quantity, price, rate) in enumerate(
            [(30, 10_005, 1800), (20, 4_999, 1200), (7, 1_337, 500)][:LINES]
        ):
            amounts = line_amounts(quantity=quantity, unit_price=price, tax_rate_bp=rate)
            subtotal, tax = subtotal + amounts.amount, tax + amounts.tax
            lines.append(
                {
                    "seller_id": seller_id,
                    "id": new_object_id(),
                    "order_id": order_id,
                    "position": position,
                    "sku": f"SKU-{position}",
                    "name": f"Item {position}",
                    "description": None,
                    "hsn_code": "8471",
                    "quantity": quantity,
                    "unit_price": price,
                    "tax_rate_bp": rate,
                    "invoiced_quantity": 0,
                }
            )
        orders.append(
            {
                "seller_id": seller_id,
                "id": order_id,
                "customer_id": customer_id,
                "currency": "INR",
                "subtotal": subtotal,
                "tax": tax,
                "total": subtotal + tax,
                "meta_fields": [],
                "created_by_id": None,
                "created_by_name": None,
                "created_by_type": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    return orders, lines


async def run(admin_url: str) -> int:
    url = await create_database(admin_url)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(url)
        factory = create_session_factory(engine)
        now = utc_now()
        async with factory() as session, session.begin():
            seller = await seller_service.create_seller(
                session, name="Bench Traders", state="29", now=now
            )
            key, _row = await auth_service.create_api_key(
                session, seller_id=seller.seller_id, name="bench", now=now
            )
            customer_id = new_customer_id()
            session.add(
                Customer(
                    seller_id=seller.seller_id,
                    id=customer_id,
                    legal_name="Bench Buyer",
                    state="27",
                    status="ACTIVE",
                    deleted=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        app = create_app(Settings(database_url=url), engine=engine)
        timings: list[float] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for number in range(1, RUNS + 1):
                orders, lines = order_rows(seller.seller_id, customer_id)
                async with factory() as session, session.begin():
                    await session.execute(insert(SalesOrder), orders)
                    await session.execute(insert(OrderLine), lines)
                # Fresh tables have no statistics yet, and PostgreSQL then plans the foreign-key
                # checks as sequential scans; autovacuum analyzes a live database, so do it here
                # (untimed) as it would.
                async with engine.connect() as connection:
                    await connection.execute(text("ANALYZE"))
                    await connection.commit()
                started = time.perf_counter()
                response = await client.post(
                    "/invoices/bulk",
                    headers={"accessToken": key},
                    json={"orderIds": [o["id"] for o in orders]},
                )
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 201 or response.json()["count"] != ORDERS:
                    print(f"run {number}: unexpected {response.status_code} {response.text[:200]}")
                    return 2
                timings.append(elapsed)
                print(f"run {number}: {elapsed:7.1f} ms  ({ORDERS} orders x {LINES} lines)")
        await engine.dispose()
    finally:
        await drop_database(url, admin_url)
    p50, worst = statistics.median(timings), max(timings)
    verdict = "PASS" if p50 <= TARGET_P50_MS else "FAIL"
    print(f"p50 {p50:.1f} ms, max {worst:.1f} ms")
    print(f"{verdict}: p50 {p50:.1f} ms vs target <= {TARGET_P50_MS:.0f} ms")
    return 0 if verdict == "PASS" else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(run(arguments.url)))


if __name__ == "__main__":
    main()
