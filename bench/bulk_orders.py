"""POST /invoices/bulk, 1,000 orders of 3 lines, as a client sees it, on PostgreSQL.

A scratch database, a seller with an API key and a few customers, and a real `khata serve` on
it. Each run creates 1,000 orders through POST /orders (a few at a time, like an integration
would), then times one POST /invoices/bulk for all of them over HTTP. No manual ANALYZE: the
tables are as a live deployment has them (fresh, or autovacuum's own pace). The runs go on a
fresh invoice table, then again after a bulk file of `--earlier` invoices (100,000 by default).
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
from bulk_import import prepare, start_server, stop_server, upload, write_csv
from scratch import create_database, drop_database

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
    args = parser.parse_args()
    python = str(Path(sys.executable))
    url = asyncio.run(create_database())
    work = Path(tempfile.mkdtemp(prefix="khata-bench-orders-"))
    server = None
    try:
        seeded = prepare(python, url)
        key, customers = seeded["key"], seeded["customers"][:20]
        server, base_url = start_server(python, url, work)
        print("fresh invoice table:")
        fresh = asyncio.run(runs(base_url, key, customers, args.runs))
        ok = verdict("fresh", fresh)
        if args.earlier:
            path = work / "earlier.csv"
            write_csv(path, args.earlier, seeded["customers"])
            upload(base_url, key, path, args.earlier)
            print(f"after {args.earlier:,} earlier invoices (a bulk file):")
            later = asyncio.run(runs(base_url, key, customers, args.runs))
            ok = verdict(f"after {args.earlier:,}", later) and ok
    finally:
        if server is not None:
            stop_server(server)
        asyncio.run(drop_database(url))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
