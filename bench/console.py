"""The web console's pages at a million invoices on PostgreSQL: p50/p95 of each page over HTTP.

Reuses the database bench/reports.py builds (`khata_bench_reports`: one seller, 200 customers,
1,000,000 invoices over two years, ~300,000 accepted payments; run bench/reports.py first if it
is missing). A console session for the seller's admin is written straight into auth_token (the
bench does not know the generated admin password); then, against a real `khata serve`, each
page is requested ROUNDS times in sequence after a warm-up, and the time to the last byte of
the answer is taken on the client (over loopback: an upper bound of the server-side time).

    .venv/bin/python bench/console.py

`khata serve` migrates the database it serves first: this bench leaves `khata_bench_reports` at
this checkout's head revision (with its two console indexes).
"""

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from reports import (
    DATABASE,
    SELLER_NAME,
    _busiest_customer,
    database_ready,
    database_url,
    start_server,
    stop_server,
)
from sqlalchemy import select

from khata.auth import service as auth_service
from khata.auth import sessions
from khata.db import create_engine, create_session_factory
from khata.models import Invoice, Principal, Seller
from khata.models.principal import PrincipalType

ROUNDS = 30


async def console_session(url: str) -> tuple[str, str, str]:
    """A fresh console session token of the bench seller's admin, the seller and one invoice."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        seller = (
            await session.scalars(select(Seller).where(Seller.legal_name == SELLER_NAME))
        ).one()
        admin = (
            await session.scalars(
                select(Principal).where(
                    Principal.seller_id == seller.id, Principal.type == PrincipalType.ADMIN
                )
            )
        ).first()
        assert admin is not None
        token = auth_service.new_token(seller.id)
        auth_service.store_token(
            session,
            seller_id=seller.id,
            principal_id=admin.id,
            kind=sessions.KIND,
            token=token,
            now=now,
            ttl_seconds=3600,
            name="bench",
        )
        invoice_id = (
            await session.scalars(
                select(Invoice.id)
                .where(Invoice.seller_id == seller.id)
                .order_by(Invoice.id.desc())
                .limit(1)
            )
        ).one()
    await engine.dispose()
    return token, seller.id, invoice_id


def measure(client: httpx.Client, path: str) -> list[float]:
    for _ in range(3):
        client.get(path).raise_for_status()
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(path)
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


def main() -> None:
    url = database_url()
    if not asyncio.run(database_ready(url)):
        sys.exit(f"{DATABASE} is missing: run bench/reports.py first (it builds it)")
    token, seller_id, invoice_id = asyncio.run(console_session(url))
    customer = asyncio.run(_busiest_customer(url, seller_id))
    pages = [
        ("dashboard", "/console"),
        ("invoices, first page", "/console/invoices"),
        ("invoices, page 1,000", "/console/invoices?page=1000"),
        ("invoices, overdue", "/console/invoices?overdue=yes"),
        ("invoices, by customer name", "/console/invoices?customer=Buyer%20007"),
        ("invoices, balance 5k-10k", "/console/invoices?balance_from=5000&balance_to=10000"),
        ("invoice page", f"/console/invoices/{invoice_id}"),
        ("payments to confirm", "/console/payments"),
        ("customers", "/console/customers"),
        ("customer page", f"/console/customers/{customer}"),
        ("bulk upload", "/console/bulk"),
        ("settings", "/console/settings"),
    ]
    with tempfile.TemporaryDirectory() as work:
        server, base_url = start_server(url, Path(work))
        try:
            cookies = {"khata_console": token}
            with httpx.Client(base_url=base_url, cookies=cookies, timeout=120) as client:
                print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared)")
                for name, path in pages:
                    timings = measure(client, path)
                    p50 = statistics.median(timings)
                    p95 = statistics.quantiles(timings, n=20)[-1]
                    print(f"{name:30s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (n={ROUNDS})")
                print(f"load average after: {os.getloadavg()[0]:.2f}")
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
