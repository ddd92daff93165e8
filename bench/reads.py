"""Reads at a million invoices: search p50/p95 per filter, GETs against bare Starlette + asyncpg.

Builds (once, then reuses) a PostgreSQL database `khata_bench_reads` holding one seller with
1,000,000 invoices over 200 customers, loaded through a real `khata serve` over HTTP with the
bulk endpoint (CSV files of 100,000 rows: invoice dates over three years, due dates 0-90 days
later, log-normal amounts, half the customers in another state), then 20,000 of them dispatched,
300 with payments reported (200 accepted), 500 cancelled, and `VACUUM ANALYZE`.

Then, against a fresh `khata serve` on that database:
1. every search case (each filter alone, combinations, every orderBy both ways, deep offsets,
   limit 5000): `totalCount`, p50 and p95 of `--repeat` sequential requests (100-row pages);
2. GET of one invoice, one customer, one payment: khata vs `bench/reads_bare.py` (bare
   Starlette + asyncpg, same token check, same SELECTs), both under uvicorn without its
   access log (KHATA_ACCESS_LOG=false for khata), each loaded by `bench/reads_load.py` in its
   own process (64 keep-alive connections), the two servers side by side and loaded in turn,
   best of two rounds each: req/s, p99, ratio;
3. the write cost of the invoice index set: COPY of 100,000 invoice rows into a table shaped like
   `invoice` with all its indexes vs one with its primary key only.

    .venv/bin/python bench/reads.py                 # build if missing, then measure all
    .venv/bin/python bench/reads.py --rebuild       # drop and build the database again
    .venv/bin/python bench/reads.py --only search --repeat 40
    .venv/bin/python bench/reads.py --only get --seconds 15
"""

import argparse
import asyncio
import csv
import io
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from scratch import ADMIN_URL, free_port
from sqlalchemy import text
from sqlalchemy.engine import make_url

from khata import migrate
from khata.auth import service as auth_service
from khata.db import create_engine, create_session_factory
from khata.invoice.rows import INVOICE_COLUMNS
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer
from khata.seller import service as seller_service

# Another name (a copy made with CREATE DATABASE ... TEMPLATE) keeps runs of branches apart.
DATABASE = os.environ.get("KHATA_BENCH_READS_DB", "khata_bench_reads")
SELLER_NAME = "Bench Reads Traders"
INVOICES = 1_000_000
FILE_ROWS = 100_000
CUSTOMERS = 200
INDUSTRIES = (
    "Textiles", "Steel", "Pharma", "Foods", "Motors", "Plastics", "Paper", "Chemicals",
    "Electricals", "Cement", "Glass", "Rubber", "Leather", "Spices", "Tea", "Granite",
    "Ceramics", "Timber",
)  # fmt: skip
TOWNS = ("Hubli", "Mysuru", "Pune", "Surat", "Indore", "Nagpur", "Kochi", "Vizag", "Agra")
FIRST_DAY = date(2024, 1, 1)
DAYS = 3 * 365
HERE = Path(__file__).resolve().parent


def database_url() -> str:
    return make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


def plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def database_exists() -> bool:
    connection = await asyncpg.connect(plain_dsn(ADMIN_URL))
    try:
        found = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
    finally:
        await connection.close()
    return found is not None


async def recreate_database() -> None:
    connection = await asyncpg.connect(plain_dsn(ADMIN_URL))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def run_sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(url: str) -> list[str]:
    """The seller (Karnataka) and its 200 customers, half of them in Maharashtra."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with create_session_factory(engine)() as session, session.begin():
        new = await seller_service.create_seller(
            session, name=SELLER_NAME, state="29", gstin=None, now=now
        )
        ids = [new_customer_id() for _ in range(CUSTOMERS)]
        for index, customer_id in enumerate(ids):
            industry = INDUSTRIES[index % len(INDUSTRIES)]
            town = TOWNS[index % len(TOWNS)]
            session.add(
                Customer(
                    seller_id=new.seller_id,
                    id=customer_id,
                    legal_name=f"{town} {industry} {index} Pvt Ltd",
                    state="29" if index % 2 == 0 else "27",
                    status="ACTIVE",
                    deleted=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()
    return ids


async def seller_and_key(url: str) -> tuple[str, str, list[str]]:
    """The bench seller, a fresh API key for it, and its customer ids."""
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        seller_id = (
            await session.execute(
                text("SELECT id FROM seller WHERE legal_name = :n"), {"n": SELLER_NAME}
            )
        ).scalar_one()
        key, _ = await auth_service.create_api_key(
            session, seller_id=seller_id, name="bench", now=datetime.now(UTC)
        )
        customers = list(
            (
                await session.execute(
                    text("SELECT id FROM customer WHERE seller_id = :s ORDER BY id"),
                    {"s": seller_id},
                )
            ).scalars()
        )
    await engine.dispose()
    return seller_id, key, customers


def invoice_rows(customers: list[str], first: int, count: int) -> Iterator[list[str]]:
    """Invoices as users make them: dates over three years, terms of 0-90 days, log-normal
    amounts (median about 5,000 rupees), some customers buying far more than others."""
    rng = random.Random(first)
    weights = [1.0 / (1 + index % 10) for index in range(len(customers))]
    picks = rng.choices(range(len(customers)), weights=weights, k=count)
    for offset, pick in enumerate(picks):
        number = first + offset
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        due = day + timedelta(days=rng.choice((0, 7, 15, 30, 30, 30, 45, 60, 90)))
        base = min(max(round(rng.lognormvariate(8.5, 1.1), 2), 100.0), 5_000_000.0)
        tax = round(base * 0.09, 2)
        intra = pick % 2 == 0  # even customers are in the seller's state
        yield [
            f"INV/{day.year}/{number:07d}",
            customers[pick],
            day.isoformat(),
            due.isoformat(),
            f"{base:.2f}",
            f"{tax:.2f}" if intra else "0",
            f"{tax:.2f}" if intra else "0",
            "0" if intra else f"{2 * tax:.2f}",
            f"{round(base * 0.01, 2):.2f}" if number % 5 == 0 else "0",
            f"Goods supplied, lot {number}",
            f"PO-{number % 7919}",
        ]


HEADER = (
    "invoiceNumber,customerId,invoiceDate,dueDate,baseAmount,cgst,sgst,igst,tds,description,"
    "poNumber"
)


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"{command[:4]} exited with {process.returncode}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code in (200, 404):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def khata_server(url: str, work: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": url,
        "KHATA_REPORT_DIR": str(work / "reports"),
        "KHATA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # As the bare app is run (uvicorn --no-access-log): the two do the same work per GET.
        "KHATA_ACCESS_LOG": "false",
    }
    command = [sys.executable, "-m", "khata.cli", "serve", "--no-worker", "--port", str(port)]
    with serving(command, env, port) as base_url:
        yield base_url


def build(url: str, work: Path) -> None:
    migrate.upgrade(url)
    customers = asyncio.run(seed(url))
    _seller_id, key, _ = asyncio.run(seller_and_key(url))
    headers = {"accessToken": key}
    with khata_server(url, work) as base, httpx.Client(base_url=base, timeout=None) as client:
        started = time.perf_counter()
        for first in range(1, INVOICES + 1, FILE_ROWS):
            body = io.StringIO()
            body.write(HEADER + "\n")
            csv.writer(body).writerows(invoice_rows(customers, first, FILE_ROWS))
            response = client.post(
                "/api/v0/invoice/bulk/create",
                headers=headers,
                files={"file": ("invoices.csv", body.getvalue().encode(), "text/csv")},
            )
            response.raise_for_status()
            payload = response.json()["payload"]
            print(
                f"  rows {first:>9,}+: saved {payload['success_count']:,}, "
                f"failed {payload['failure_count']:,} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        shape_states(client, headers)
    asyncio.run(run_sql(url, "VACUUM ANALYZE"))


def _page_ids(client: httpx.Client, headers: dict[str, str], offset: int, limit: int) -> list[str]:
    response = client.post(
        f"/api/v0/invoice/search?limit={limit}&offset={offset}&orderBy=entityId&direction=ASC",
        headers=headers,
        json={},
    )
    response.raise_for_status()
    return [invoice["invoiceId"] for invoice in response.json()["payload"]["invoices"]]


def shape_states(client: httpx.Client, headers: dict[str, str]) -> None:
    """Not every invoice stays CREATED: 20,000 dispatched, 300 with payments reported (100 of
    them accepted in full, 100 in part), 500 cancelled."""
    for batch in range(20):
        ids = _page_ids(client, headers, 40_000 * batch, 1000)
        client.post(
            "/api/v0/invoice/bulk/dispatch", headers=headers, json={"invoiceIds": ids}
        ).raise_for_status()
    dispatched = _page_ids(client, headers, 0, 300)
    for index, invoice_id in enumerate(dispatched):
        invoice = client.get(f"/api/v0/invoice/{invoice_id}", headers=headers).json()["payload"]
        amount = (
            invoice["balanceAmount"] if index % 3 != 1 else round(invoice["balanceAmount"] / 2, 2)
        )
        ref = f"PAY-{index:05d}"
        client.post(
            "/api/v0/payment",
            headers=headers,
            json={
                "paymentId": ref,
                "type": "OFFPLATFORM",
                "mode": "NEFT",
                "utr": f"UTR{index:09d}",
                "amount": amount,
                "paidOn": "2026-11-30",
                "invoices": [{"invoiceId": invoice_id, "amount": amount}],
            },
        ).raise_for_status()
        if index % 3 != 2:
            client.post(
                "/api/v0/invoice/payment-confirmation",
                headers=headers,
                json={"paymentId": ref, "response": "ACCEPT", "type": "OFFPLATFORM"},
            ).raise_for_status()
    for invoice_id in _page_ids(client, headers, 500_000, 500):
        client.post(
            "/api/v0/invoice/status-change",
            headers=headers,
            json={
                "invoiceId": invoice_id,
                "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
                "objectVersion": {"currentVersion": 1},
                "remarks": "raised in error",
            },
        ).raise_for_status()


def search_cases(
    customers: list[str], legal_name_part: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, query string, body): every filter alone, combinations, every orderBy."""
    week = {"dueDateFrom": "2025-06-02", "dueDateTo": "2025-06-08"}
    amount = {"baseAmountFrom": 5000, "baseAmountTo": 5100}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("{} first page", "", {}),
        ("receivableStatuses [CREATED]", "", {"receivableStatuses": ["CREATED"]}),
        ("receivableStatuses [SENT_TO_BUYER]", "", {"receivableStatuses": ["SENT_TO_BUYER"]}),
        (
            "receivableStatuses [PAID, PARTIALLY_PAID]",
            "",
            {"receivableStatuses": ["PAID", "PARTIALLY_PAID"]},
        ),
        ("baseAmount 5,000-5,100", "", amount),
        ("balanceAmount 5,000-5,100", "", {"balanceAmountFrom": 5000, "balanceAmountTo": 5100}),
        ("dueDate one week", "", week),
        (
            "createdOn today",
            "",
            {"createdOnFrom": date.today().isoformat(), "createdOnTo": date.today().isoformat()},
        ),
        ("dispatched true", "", {"dispatched": True}),
        (
            "dispatchedOn range",
            "",
            {"dispatchedOnFrom": "2020-01-01", "dispatchedOnTo": "2099-12-31"},
        ),
        ("overdue true", "", {"overdue": True}),
        ("overdue false", "", {"overdue": False}),
        ("customerLegalName substring", "", {"customerLegalName": legal_name_part}),
        ("one customerId", "", {"customerIds": [customers[7]]}),
        ("five customerIds", "", {"customerIds": customers[10:15]}),
        ("customerDeleted false", "", {"customerDeleted": False}),
        ("createdVia [BULK_UPLOAD]", "", {"createdVia": ["BULK_UPLOAD"]}),
        ("buyerResponse [NONE]", "", {"buyerResponseStatuses": ["NONE"]}),
        ("buyerResponse [DISPUTED]", "", {"buyerResponseStatuses": ["DISPUTED"]}),
        ("status CREATED + dueDate week", "", {"receivableStatuses": ["CREATED"], **week}),
        (
            "customerId + dueDate week + amount",
            "",
            {"customerIds": [customers[3]], **week, "baseAmountFrom": 1000},
        ),
        (
            "customerLegalName + status CREATED",
            "",
            {"customerLegalName": legal_name_part, "receivableStatuses": ["CREATED"]},
        ),
        ("customerLegalName + dueDate week", "", {"customerLegalName": legal_name_part, **week}),
        ("overdue + customerId", "", {"overdue": True, "customerIds": [customers[5]]}),
        ("amount + dueDate week", "", {**amount, **week}),
        ("amount, orderBy dueDate ASC", "orderBy=dueDate&direction=ASC", amount),
        ("dueDate week, orderBy baseAmount DESC", "orderBy=baseAmount&direction=DESC", week),
        (
            "customerId, orderBy invoiceNumber ASC",
            "orderBy=invoiceNumber&direction=ASC",
            {"customerIds": [customers[9]]},
        ),
        ("{} offset 500,000", "offset=500000", {}),
        ("{} offset 999,900", "offset=999900", {}),
        ("{} offset 500,000 orderBy dueDate", "offset=500000&orderBy=dueDate", {}),
        ("status CREATED offset 900,000", "offset=900000", {"receivableStatuses": ["CREATED"]}),
        ("{} limit 5,000", "limit=5000", {}),
        # Keyset pages: the cursor of the row at that depth, from an offset page first.
        ("{} cursor after row 500,000", "cursorAfter=500000", {}),
        ("{} cursor after row 999,800", "cursorAfter=999800", {}),
        ("{} cursor after 500,000 orderBy dueDate", "cursorAfter=500000&orderBy=dueDate", {}),
        (
            "status CREATED cursor after 900,000",
            "cursorAfter=900000",
            {"receivableStatuses": ["CREATED"]},
        ),
        # Wide ranges: counted as the tally less the invoices outside the range.
        ("createdOn range covering all", "", {"createdOnFrom": "2000-01-01"}),
        (
            "createdOn all + status CREATED",
            "",
            {"createdOnFrom": "2000-01-01", "receivableStatuses": ["CREATED"]},
        ),
        ("dueDate from 2023-06-01", "", {"dueDateFrom": "2023-06-01"}),
    ]
    for column in ("createdOn", "dueDate", "invoiceDate", "baseAmount", "balanceAmount",
                   "netAmount", "invoiceNumber", "entityId", "dispatchedOn"):  # fmt: skip
        for direction in ("DESC", "ASC"):
            cases.append(
                (
                    f"{{}} orderBy {column} {direction}",
                    f"orderBy={column}&direction={direction}",
                    {},
                )
            )
    return cases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def with_cursor(client: httpx.Client, headers: dict[str, str], query: str, body: Any) -> str:
    """`cursorAfter=N` in a case's query: the nextCursor of the page ending at row N."""
    params = dict(part.split("=", 1) for part in query.split("&"))
    depth = int(params.pop("cursorAfter"))
    params |= {"offset": str(depth - 100), "limit": "100"}
    found = client.post("/api/v0/invoice/search", params=params, headers=headers, json=body)
    del params["offset"]
    return "&".join(
        [
            *(f"{k}={v}" for k, v in params.items()),
            f"cursor={found.json()['payload']['nextCursor']}",
        ]
    )


def run_search(base: str, key: str, customers: list[str], repeat: int, only: str | None) -> None:
    headers = {"accessToken": key}
    cases = search_cases(customers, "steel")
    if only:
        wanted = [part.strip().lower() for part in only.split(",")]
        cases = [case for case in cases if any(part in case[0].lower() for part in wanted)]
    print(f"\nPOST /api/v0/invoice/search, 100-row pages unless said, {repeat} sequential requests")
    print(f"{'case':<44} {'totalCount':>11} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8}")
    # The goals are for 100-row pages, 100 ms, and 150 ms for deep offsets; a 5,000-row page
    # is shown apart (no target).
    worst, worst_offset, worst_large = 0.0, 0.0, 0.0
    with httpx.Client(base_url=base, timeout=None) as client:
        for label, query, body in cases:
            if "cursorAfter=" in query:
                query = with_cursor(client, headers, query, body)
            url = "/api/v0/invoice/search" + (f"?{query}" if query else "")
            times: list[float] = []
            payload: dict[str, Any] = {}
            for attempt in range(repeat + 2):
                started = time.perf_counter()
                response = client.post(url, headers=headers, json=body)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{label}: {response.status_code} {response.text[:300]}")
                payload = response.json()["payload"]
                if attempt >= 2:  # two warm-ups
                    times.append(elapsed)
            p95 = percentile(times, 0.95)
            if "limit=" in query:
                worst_large = max(worst_large, p95)
            elif "offset=" in query:
                worst_offset = max(worst_offset, p95)
            else:
                worst = max(worst, p95)
            print(
                f"{label:<44} {payload['totalCount']:>11,} {len(payload['invoices']):>5} "
                f"{statistics.median(times):>8.1f} {p95:>8.1f}",
                flush=True,
            )
    print(f"worst p95 of a 100-row page: {worst:.1f} ms (target: <= 100 ms)")
    if worst_offset:
        print(f"worst p95 of a deep offset: {worst_offset:.1f} ms (target: <= 150 ms)")
    if worst_large:
        print(f"worst p95 of a larger page: {worst_large:.1f} ms (no target)")


def load(base: str, key: str, paths: list[str], seconds: float, connections: int) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            str(HERE / "reads_load.py"),
            "--url",
            base,
            "--header",
            f"accessToken: {key}",
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
            *paths,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def get_paths(base: str, key: str) -> dict[str, list[str]]:
    """Paths of 50 invoices (some with payments), 50 customers and 50 payments to GET."""
    headers = {"accessToken": key}
    with httpx.Client(base_url=base, timeout=None) as client:
        invoices = client.post(
            "/api/v0/invoice/search?limit=50&offset=123456", headers=headers, json={}
        ).json()["payload"]["invoices"]
        paid = client.post(
            "/api/v0/invoice/search?limit=50",
            headers=headers,
            json={"receivableStatuses": ["PAID", "PARTIALLY_PAID", "PAYMENT_INITIATED"]},
        ).json()["payload"]["invoices"]
    customers = sorted({invoice["customerId"] for invoice in invoices})
    return {
        "invoice": [f"/api/v0/invoice/{invoice['invoiceId']}" for invoice in invoices],
        "customer": [f"/api/v0/customer/{customer}" for customer in customers],
        "payment": [f"/api/v0/payment/PAY-{index:05d}" for index in range(0, 150, 3)]
        if paid
        else [],
    }


def run_gets(url: str, work: Path, key: str, seconds: float, connections: int) -> None:
    print(
        f"\nGET at {connections} connections, {seconds:.0f} s each, "
        "load generator in its own process"
    )
    port = free_port()
    env = {**os.environ, "KHATA_BENCH_DSN": plain_dsn(url), "PYTHONPATH": str(HERE)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "reads_bare:create_app",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    # Both servers run side by side and are loaded in turn, twice each, keeping each one's
    # better round: on a shared machine a single round each compares two different moments.
    ours: dict[str, dict[str, Any]] = {}
    bare: dict[str, dict[str, Any]] = {}
    with khata_server(url, work) as base, serving(command, env, port) as bare_base:
        paths = get_paths(base, key)
        for _ in range(2):
            for kind, listed in paths.items():
                if listed:
                    for best, at in ((ours, base), (bare, bare_base)):
                        result = load(at, key, listed, seconds, connections)
                        if kind not in best or result["rps"] > best[kind]["rps"]:
                            best[kind] = result
    print(
        f"{'GET':<10} {'khata req/s':>12} {'p99 ms':>8} "
        f"{'bare req/s':>11} {'p99 ms':>8} {'ratio':>6}"
    )
    for kind, result in ours.items():
        other = bare[kind]
        for name, row in (("khata", result), ("bare", other)):
            if row["errors"]:
                print(f"  warning: {name} {kind}: {row['errors']} errors {row['error_statuses']}")
        print(
            f"{kind:<10} {result['rps']:>12,.0f} {result['p99_ms']:>8.1f} {other['rps']:>11,.0f} "
            f"{other['p99_ms']:>8.1f} {result['rps'] / other['rps']:>6.2f}"
        )
    print("target: ratio >= 0.5, khata p99 <= 50 ms")


def copy_rows(seller_id: str, customers: list[str], count: int) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    rows = []
    for values in invoice_rows(customers, 50_000_000, count):
        base = round(float(values[4]) * 100)
        tax = round(float(values[5]) * 100) * 2 + round(float(values[7]) * 100)
        record: dict[str, Any] = {
            "seller_id": seller_id,
            "id": new_object_id(),
            "entity_id": 0,
            "invoice_number": values[0],
            "customer_id": values[1],
            "invoice_date": date.fromisoformat(values[2]),
            "due_date": date.fromisoformat(values[3]),
            "description": values[9],
            "po_number": values[10],
            "base_amount": base,
            "cgst": round(float(values[5]) * 100),
            "sgst": round(float(values[6]) * 100),
            "igst": round(float(values[7]) * 100),
            "tds": 0,
            "gst_exclusive": True,
            "net_amount": base + tax,
            "total_received": 0,
            "total_credited": 0,
            "total_written_off": 0,
            "balance_amount": base + tax,
            "partial_payment_allowed": True,
            "receivable_status": "CREATED",
            "approval_status": "APPROVED",
            "dispatched": False,
            "via": "BULK_UPLOAD",
            "meta_fields": "[]",
            "deleted": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(tuple(record.get(column) for column in INVOICE_COLUMNS))
    for number, row in enumerate(rows, start=1):
        row_list = list(row)
        row_list[INVOICE_COLUMNS.index("entity_id")] = 10_000_000 + number
        rows[number - 1] = tuple(row_list)
    return rows


async def write_cost(url: str, seller_id: str, customers: list[str]) -> None:
    """COPY of 100,000 invoice rows: primary key only, the invoice table's full index set, and
    that set with the tally trigger, then with the receivable_day trigger too (their
    transactions rolled back, so the real tally and ledger are left alone). Every table starts
    with the seller's million rows, as the live table does."""
    rows = copy_rows(seller_id, customers, 100_000)
    connection = await asyncpg.connect(plain_dsn(url))
    indexes = await connection.fetch(
        "SELECT indexname, pg_relation_size(indexname::regclass) AS size FROM pg_indexes "
        "WHERE tablename = 'invoice' ORDER BY indexname"
    )
    print("\ninvoice indexes (size at a million rows):")
    for index in indexes:
        print(f"  {index['indexname']:<48} {index['size'] / 1024 / 1024:>7.1f} MB")
    results = {}
    try:
        for label, like, triggers in (
            ("primary key only", "INCLUDING DEFAULTS", ()),
            ("all indexes", "INCLUDING ALL", ()),
            ("all + tally trigger", "INCLUDING ALL", ("invoice_tally_insert",)),
            (
                "all + both triggers",
                "INCLUDING ALL",
                ("invoice_tally_insert", "receivable_day_invoice_insert"),
            ),
        ):
            await connection.execute("DROP TABLE IF EXISTS invoice_write_bench")
            await connection.execute(f"CREATE TABLE invoice_write_bench (LIKE invoice {like})")
            if like == "INCLUDING DEFAULTS":
                await connection.execute(
                    "ALTER TABLE invoice_write_bench ADD PRIMARY KEY (seller_id, id)"
                )
            await connection.execute("INSERT INTO invoice_write_bench SELECT * FROM invoice")
            await connection.execute("VACUUM ANALYZE invoice_write_bench")
            for trigger in triggers:
                await connection.execute(
                    f"CREATE TRIGGER {trigger} AFTER INSERT ON invoice_write_bench "
                    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {trigger}()"
                )
            transaction = connection.transaction()
            await transaction.start()
            started = time.perf_counter()
            await connection.copy_records_to_table(
                "invoice_write_bench", records=rows, columns=list(INVOICE_COLUMNS)
            )
            await connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
            results[label] = time.perf_counter() - started
            if triggers:
                await transaction.rollback()
            else:
                await transaction.commit()
    finally:
        await connection.execute("DROP TABLE IF EXISTS invoice_write_bench")
        await connection.close()
    print("COPY of 100,000 invoice rows into a million-row table shaped like invoice:")
    for label, seconds in results.items():
        print(f"  {label:<20} {seconds:6.2f} s  {100_000 / seconds:>9,.0f} rows/s")
    base = results["primary key only"]
    print(f"  index set costs {results['all indexes'] / base:.2f}x the primary key alone,")
    print(f"  with the tally trigger {results['all + tally trigger'] / base:.2f}x")
    print(f"  with it and the receivable_day trigger {results['all + both triggers'] / base:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Drop and build the database.")
    parser.add_argument("--only", choices=("search", "get", "write"), default=None)
    parser.add_argument(
        "--case",
        default=None,
        help="Only search cases whose label has one of these comma-separated parts.",
    )
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    url = database_url()
    work = Path(tempfile.mkdtemp(prefix="khata-reads-"))
    if args.rebuild or not asyncio.run(database_exists()):
        print(f"building {DATABASE}: {INVOICES:,} invoices through the bulk endpoint")
        asyncio.run(recreate_database())
        build(url, work)
    else:
        migrate.upgrade(url)  # the database follows the code's migrations
        asyncio.run(run_sql(url, "VACUUM ANALYZE"))
    seller_id, key, customers = asyncio.run(seller_and_key(url))
    print(f"database {DATABASE}, seller {seller_id}, load average {os.getloadavg()[0]:.2f}")
    if args.only in (None, "search"):
        with khata_server(url, work) as base:
            run_search(base, key, customers, args.repeat, args.case)
    if args.only in (None, "get"):
        run_gets(url, work, key, args.seconds, args.connections)
    if args.only in (None, "write"):
        asyncio.run(write_cost(url, seller_id, customers))
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
