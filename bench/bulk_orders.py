"""POST /invoices/bulk, 1,000 orders of 3 lines, as a client sees it, on PostgreSQL.

A scratch database, a seller with an API key and a few customers, and a real `khata serve` on
it. Each run creates 1,000 orders through POST /orders (a few at a time, like an integration
would), then times one POST /invoices/bulk for all of them over HTTP. No manual ANALYZE: the
tables are as a live deployment has them (fresh, or autovacuum's own pace). The runs go on a
fresh invoice table, then again after `--earlier` invoices (100,000 by default) made the same
way from as many earlier orders (those orders are written straight into the tables).
Prints each run and p50 / max against the goals (p50 <= 300 ms, max <= 600 ms).

    .venv/bin/python bench/bulk_orders.py [--runs 5] [--earlier 100000]
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bulk_import import prepare, start_server, stop_server
from scratch import create_database, drop_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from khata.db import create_engine

ORDERS, LINES = 1000, 3
GOAL_P50_MS, GOAL_MAX_MS = 300.0, 600.0
PARALLEL = 8  # orders created at once


def order_body(customer_id: str, number: int) -> dict[str, object]:
    lines = [(30, 100.05, 18), (20, 49.99, 12), (7, 13.37, 5)][:LINES]
    return {
        "customerId": customer_id,
        "lineItems": [
            {
                "sku": f"SKU-{i}",
                "name": f"Item {i} of order {number}",
                "quantity": q,
                "unitPrice": price,
                "taxRate": rate,
                "hsnCode": "8471",
            }
            for i, (q, price, rate) in enumerate(lines)
        ],
    }


async def create_orders(client: httpx.AsyncClient, key: str, customers: list[str]) -> list[str]:
    ids: list[str] = []
    gate = asyncio.Semaphore(PARALLEL)

    async def one(number: int) -> None:
        async with gate:
            response = await client.post(
                "/orders",
                headers={"accessToken": key},
                json=order_body(customers[number % len(customers)], number),
            )
        if response.status_code != 201:
            raise SystemExit(f"POST /orders: {response.status_code} {response.text[:200]}")
        ids.append(response.json()["data"]["id"])

    await asyncio.gather(*(one(n) for n in range(ORDERS)))
    return ids


async def runs(base_url: str, key: str, customers: list[str], count: int) -> list[float]:
    timings: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        for number in range(1, count + 1):
            ids = await create_orders(client, key, customers)
            started = time.perf_counter()
            response = await client.post(
                "/invoices/bulk", headers={"accessToken": key}, json={"orderIds": ids}
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 201 or response.json()["count"] != ORDERS:
                raise SystemExit(f"/invoices/bulk: {response.status_code} {response.text[:200]}")
            timings.append(elapsed)
            print(f"  run {number}: {elapsed:7.1f} ms  ({ORDERS} orders x {LINES} lines)")
    return timings


async def explain_slow_statements(url: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    database = make_url(url).database
    async with admin.connect() as connection:
        for setting in (
            "session_preload_libraries = 'auto_explain'",
            "auto_explain.log_min_duration = '20ms'",
            "auto_explain.log_analyze = on",
            "auto_explain.log_nested_statements = on",
            "log_min_duration_statement = 10",
        ):
            await connection.execute(text(f'ALTER DATABASE "{database}" SET {setting}'))
    await admin.dispose()


async def earlier_orders(url: str, seller_id: str, customers: list[str], count: int) -> list[str]:
    """`count` orders of 3 lines written straight into the tables (setup, untimed: 100,000
    POST /orders would take many minutes here); answers their ids, oldest first."""
    engine = create_engine(url)
    prefix = f"{int(time.time()) - 86_400:08x}"
    values = {"s": seller_id, "p": prefix, "n": count, "c": customers}
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sales_order (seller_id, id, customer_id, currency, subtotal, tax, "
                "total, meta_fields, created_at, updated_at) SELECT :s, :p || lpad(to_hex(g), 16, "
                "'0'), (CAST(:c AS text[]))[1 + g % cardinality(CAST(:c AS text[]))], 'INR', "
                "417605, 69037, 486642, '[]', now(), now() FROM generate_series(1, :n) g"
            ),
            values,
        )
        await connection.execute(
            text(
                "INSERT INTO order_line (seller_id, id, order_id, position, sku, name, hsn_code, "
                "quantity, unit_price, tax_rate_bp, invoiced_quantity) SELECT :s, "
                ":p || lpad(to_hex(1000000000 + g * 3 + k), 16, '0'), "
                ":p || lpad(to_hex(g), 16, '0'), k, 'SKU-' || k, 'Item ' || k, '8471', "
                "(ARRAY[30, 20, 7])[k + 1], (ARRAY[10005, 4999, 1337])[k + 1], "
                "(ARRAY[1800, 1200, 500])[k + 1], 0 FROM generate_series(1, :n) g, "
                "generate_series(0, 2) k"
            ),
            values,
        )
    await engine.dispose()
    return [f"{prefix}{n:016x}" for n in range(1, count + 1)]


async def invoice_earlier(base_url: str, key: str, order_ids: list[str]) -> None:
    """The earlier orders invoiced through POST /invoices/bulk, 1,000 at a time (untimed)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        for start in range(0, len(order_ids), ORDERS):
            response = await client.post(
                "/invoices/bulk",
                headers={"accessToken": key},
                json={"orderIds": order_ids[start : start + ORDERS]},
            )
            if response.status_code != 201:
                raise SystemExit(f"/invoices/bulk: {response.status_code} {response.text[:200]}")


def verdict(label: str, timings: list[float]) -> bool:
    p50, worst = statistics.median(timings), max(timings)
    met = p50 <= GOAL_P50_MS and worst <= GOAL_MAX_MS
    print(
        f"{label}: p50 {p50:.1f} ms, max {worst:.1f} ms "
        f"({'met' if met else 'NOT met'}: p50 <= {GOAL_P50_MS:.0f}, max <= {GOAL_MAX_MS:.0f})"
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--earlier", type=int, default=100_000)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="auto_explain (analyze) of statements over 20 ms, nested ones too, to the server log",
    )
    args = parser.parse_args()
    python = str(Path(sys.executable))
    url = asyncio.run(create_database())
    work = Path(tempfile.mkdtemp(prefix="khata-bench-orders-"))
    server = None
    try:
        if args.explain:
            asyncio.run(explain_slow_statements(url))
        seeded = prepare(python, url)
        key, customers = seeded["key"], seeded["customers"][:20]
        server, base_url = start_server(python, url, work)
        print("fresh invoice table:")
        fresh = asyncio.run(runs(base_url, key, customers, args.runs))
        ok = verdict("fresh", fresh)
        if args.earlier:
            earlier = asyncio.run(earlier_orders(url, seeded["seller_id"], customers, args.earlier))
            asyncio.run(invoice_earlier(base_url, key, earlier))
            print(f"after {args.earlier:,} earlier invoices (of as many orders, 3 lines each):")
            later = asyncio.run(runs(base_url, key, customers, args.runs))
            ok = verdict(f"after {args.earlier:,}", later) and ok
    finally:
        if server is not None:
            stop_server(server)
        asyncio.run(drop_database(url))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
