"""Reports at a million invoices on PostgreSQL: p50/p95 of aging, DSO and a statement over HTTP.

Builds (once; kept between runs, `--rebuild` makes it again) the database `khata_bench_reports`:
one seller, 200 customers, 1,000,000 invoices dated over the two years up to TODAY, loaded the
way users load them: one CSV through `POST /api/v0/invoice/bulk/create` of a real `khata
serve`. Then about 300,000 accepted payments. Those are NOT made through the API: reporting and
confirming 300,000 payments is 600,000 requests that each lock and audit their invoices (about
an hour on this machine). They are written with COPY exactly as the one acceptance path leaves
them (payment ACCEPTED with confirmed_at; allocation with accepted_on; the invoice's
total_received, balance, status PAID / PARTIALLY_PAID, first_paid_on and settled_on), by a
seeded generator: per customer, in date order, 10% of invoices are never paid, 2% are closed
30-120 days after their due date, 5% are paid in two halves (two payments), and the rest are
paid four at a time by one payment 10 days before to 30 days after the latest due date. Payments
dated after TODAY are left out (those invoices are still open). VACUUM ANALYZE follows, as
autovacuum would.

Then, against a real `khata serve` over HTTP, sequential requests (after a warm-up) of:
aging as of TODAY, aging as of 6 months before, DSO by month over the 12 months to TODAY, and
one customer's statement over the year to TODAY. Prints p50/p95 of each (target p95 <= 300 ms).

    .venv/bin/python bench/reports.py              # builds the database the first time
    .venv/bin/python bench/reports.py --rebuild    # drops and builds it again
    .venv/bin/python bench/reports.py --explain    # EXPLAIN ANALYZE of the aging queries too
"""

import argparse
import asyncio
import csv
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bulk_import import peak_rss_mb, upload, wait_until_up
from scratch import ADMIN_URL, free_port
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from khata import migrate
from khata.auth import service as auth_service
from khata.db import create_engine, create_session_factory
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer, Seller
from khata.seller import service as seller_service

# Another name (a copy made with CREATE DATABASE ... TEMPLATE) keeps runs of branches apart.
DATABASE = os.environ.get("KHATA_BENCH_REPORTS_DB", "khata_bench_reports")
SELLER_NAME = "Bench Reports Traders"
CUSTOMERS = 200
INVOICES = 1_000_000
TODAY = date(2026, 12, 1)
FIRST_DAY = TODAY - timedelta(days=729)
ROUNDS = 30


def database_url() -> str:
    return make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def database_ready(url: str) -> bool:
    """The kept database exists and holds the built data (a marker row written last)."""
    admin = await asyncpg.connect(dsn(ADMIN_URL))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
    finally:
        await admin.close()
    if not exists:
        return False
    connection = await asyncpg.connect(dsn(url))
    try:
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM pg_tables WHERE tablename = 'bench_reports_built'"
            )
        )
    finally:
        await connection.close()


async def recreate_database() -> None:
    admin = await asyncpg.connect(dsn(ADMIN_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()


async def seed(url: str) -> tuple[str, list[str]]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        new = await seller_service.create_seller(
            session, name=SELLER_NAME, state="29", gstin=None, now=now
        )
        ids = [new_customer_id() for _ in range(CUSTOMERS)]
        for index, customer_id in enumerate(ids):
            session.add(
                Customer(
                    seller_id=new.seller_id,
                    id=customer_id,
                    legal_name=f"Buyer {index:03d}",
                    state="29",
                    status="ACTIVE",
                    deleted=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()
    return new.seller_id, ids


async def api_key(url: str) -> tuple[str, str]:
    """The bench seller and a fresh API key for this run (keys are stored only as hashes)."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        seller = (
            await session.scalars(select(Seller).where(Seller.legal_name == SELLER_NAME))
        ).one()
        key, _ = await auth_service.create_api_key(
            session, seller_id=seller.id, name="bench", now=datetime.now(UTC)
        )
    await engine.dispose()
    return seller.id, key


def write_csv(path: Path, customers: list[str]) -> None:
    """INVOICES rows dated FIRST_DAY..TODAY evenly, due 30 days later, GST 9% + 9%, some TDS."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["invoiceNumber", "customerId", "invoiceDate", "dueDate", "baseAmount", "cgst",
             "sgst", "igst", "tds"]
        )  # fmt: skip
        days = (TODAY - FIRST_DAY).days + 1
        for i in range(INVOICES):
            base = 1000 + (i * 7919 % 90000) + (i % 100) / 100
            tax = round(base * 0.09, 2)
            day = FIRST_DAY + timedelta(days=i * days // INVOICES)
            tds = round(base * 0.01, 2) if i % 10 == 0 else 0
            writer.writerow(
                [
                    f"R-{i:08d}",
                    customers[(i * 37) % len(customers)],
                    day.isoformat(),
                    (day + timedelta(days=30)).isoformat(),
                    f"{base:.2f}",
                    f"{tax:.2f}",
                    f"{tax:.2f}",
                    "0",
                    f"{tds:.2f}",
                ]
            )


def _noon(day: date) -> datetime:
    return datetime.combine(day, day_time(6, 30), UTC)


class Ledger:
    """The payments, allocations and invoice changes the generator decides."""

    def __init__(self, seller_id: str) -> None:
        self.seller_id = seller_id
        self.payments: list[tuple[Any, ...]] = []
        self.allocations: list[tuple[Any, ...]] = []
        self.invoices: dict[str, list[Any]] = {}  # id -> [received, receivable, status,...]

    def pay(self, day: date, shares: list[tuple[str, int]], receivable: dict[str, int]) -> None:
        if day > TODAY:
            return
        payment_id = new_object_id(_noon(day).timestamp())
        total = sum(paise for _, paise in shares)
        at = _noon(day)
        self.payments.append(
            (self.seller_id, payment_id, f"BENCH-{payment_id}", "OFFPLATFORM", "NEFT", "UTR",
             total, day, "ACCEPTED", "bench", False, at, None, "bench", at, at)
        )  # fmt: skip
        for invoice_id, paise in shares:
            self.allocations.append(
                (self.seller_id, new_object_id(at.timestamp()), payment_id, invoice_id, paise,
                 day)
            )  # fmt: skip
            state = self.invoices.setdefault(invoice_id, [0, receivable[invoice_id], None, None])
            state[0] += paise
            state[2] = state[2] or day  # first paid
            if state[0] == state[1]:
                state[3] = day  # settled

    def close(self, invoice_id: str, day: date, receivable: int) -> None:
        if day <= TODAY:
            self.invoices[invoice_id] = [0, receivable, None, day, day]


def plan_payments(seller_id: str, rows: list[asyncpg.Record]) -> Ledger:
    ledger = Ledger(seller_id)
    rng = random.Random(13)
    receivable = {row["id"]: row["receivable"] for row in rows}
    group: list[asyncpg.Record] = []
    customer = None
    for row in rows:
        if row["customer_id"] != customer:
            group, customer = [], row["customer_id"]
        draw = rng.random()
        if draw < 0.10:
            continue
        if draw < 0.12:
            ledger.close(row["id"], row["due_date"] + timedelta(days=rng.randint(30, 120)),
                         row["receivable"])  # fmt: skip
        elif draw < 0.17:
            half = row["receivable"] // 2
            first = row["due_date"] + timedelta(days=rng.randint(-5, 20))
            ledger.pay(first, [(row["id"], half)], receivable)
            second = first + timedelta(days=rng.randint(1, 40))
            if first <= TODAY:
                ledger.pay(second, [(row["id"], row["receivable"] - half)], receivable)
        else:
            group.append(row)
            if len(group) == 4:
                day = max(r["due_date"] for r in group) + timedelta(days=rng.randint(-10, 30))
                ledger.pay(day, [(r["id"], r["receivable"]) for r in group], receivable)
                group = []
    return ledger


_PAYMENT_COLUMNS = [
    "seller_id", "id", "payment_ref", "type", "mode", "utr", "amount", "paid_on", "status",
    "remarks", "reported_by_buyer", "confirmed_at", "created_by_id", "created_by_name",
    "created_at", "updated_at",
]  # fmt: skip


async def load_payments(url: str, seller_id: str) -> None:
    connection = await asyncpg.connect(dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT id, customer_id, invoice_date, due_date, net_amount - tds AS receivable "
            "FROM invoice WHERE seller_id = $1 ORDER BY customer_id, invoice_date, id",
            seller_id,
        )
        ledger = plan_payments(seller_id, rows)
        print(f"{len(ledger.payments):,} payments, {len(ledger.allocations):,} allocations")
        async with connection.transaction():
            await connection.copy_records_to_table(
                "payment", records=ledger.payments, columns=_PAYMENT_COLUMNS
            )
            await connection.copy_records_to_table(
                "payment_allocation",
                records=ledger.allocations,
                columns=["seller_id", "id", "payment_id", "invoice_id", "amount", "accepted_on"],
            )
            await connection.execute(
                "CREATE TEMP TABLE changed (id text, received bigint, status text, "
                "first_paid_on date, settled_on date, closed_on date) ON COMMIT DROP"
            )
            await connection.copy_records_to_table(
                "changed", records=[_changed(i, s) for i, s in ledger.invoices.items()]
            )
            await connection.execute(
                "UPDATE invoice i SET total_received = c.received, "
                "balance_amount = i.net_amount - i.tds - c.received, "
                "receivable_status = c.status, first_paid_on = c.first_paid_on, "
                "settled_on = c.settled_on, closed_on = c.closed_on "
                "FROM changed c WHERE i.seller_id = $1 AND i.id = c.id",
                seller_id,
            )
    finally:
        await connection.close()


def _changed(invoice_id: str, state: list[Any]) -> tuple[Any, ...]:
    if len(state) == 5:  # closed, nothing received
        return (invoice_id, 0, "CLOSED", None, state[3], state[4])
    received, receivable, first, settled = state
    status = "PAID" if received == receivable else "PARTIALLY_PAID"
    return (invoice_id, received, status, first, settled, None)


async def vacuum(url: str) -> None:
    connection = await asyncpg.connect(dsn(url))
    try:
        for table in ("invoice", "payment", "payment_allocation"):
            await connection.execute(f"VACUUM ANALYZE {table}")
        await connection.execute("CREATE TABLE bench_reports_built (at timestamptz)")
    finally:
        await connection.close()


def start_server(url: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": url,
        "KHATA_REPORT_DIR": str(work / "reports"),
        "KHATA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "khata.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_until_up(base_url, server)
    return server, base_url


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def build(url: str, work: Path) -> None:
    started = time.perf_counter()
    asyncio.run(recreate_database())
    migrate.upgrade(url)
    seller_id, customers = asyncio.run(seed(url))
    path = work / "invoices.csv"
    write_csv(path, customers)
    _, key = asyncio.run(api_key(url))
    server, base_url = start_server(url, work)
    try:
        elapsed = upload(base_url, key, path, INVOICES)
        print(f"bulk upload of {INVOICES:,} invoices: {elapsed:.0f} s;"
              f" server peak RSS {peak_rss_mb(server.pid):.0f} MB")  # fmt: skip
    finally:
        stop_server(server)
    path.unlink()
    asyncio.run(load_payments(url, seller_id))
    asyncio.run(vacuum(url))
    print(f"built {DATABASE} in {time.perf_counter() - started:.0f} s")


def measure(client: httpx.Client, path: str, params: dict[str, str]) -> list[float]:
    for _ in range(3):
        client.get(path, params=params).raise_for_status()
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


def run(url: str, work: Path) -> None:
    seller_id, key = asyncio.run(api_key(url))
    customer = asyncio.run(_busiest_customer(url, seller_id))
    year_ago = (TODAY - timedelta(days=364)).isoformat()
    month = date(TODAY.year - 1, TODAY.month, 1)
    cases = [
        ("aging as of today", "/api/v0/reports/aging", {"asOf": TODAY.isoformat()}),
        ("aging as of 6 months ago", "/api/v0/reports/aging",
         {"asOf": (TODAY - timedelta(days=182)).isoformat()}),
        ("DSO by month, 12 months", "/api/v0/reports/dso",
         {"from": month.isoformat(), "to": (TODAY - timedelta(days=1)).isoformat()}),
        ("statement, one customer, a year", f"/api/v0/customer/{customer}/statement",
         {"from": year_ago, "to": TODAY.isoformat()}),
    ]  # fmt: skip
    server, base_url = start_server(url, work)
    try:
        with httpx.Client(base_url=base_url, headers={"accessToken": key}, timeout=120) as client:
            sample = client.get(cases[0][1], params=cases[0][2]).json()["payload"]
            print(f"aging today: {len(sample['rows'])} customers owe {sample['totals']['total']:,}")
            print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared)")
            for name, path, params in cases:
                timings = measure(client, path, params)
                p50 = statistics.median(timings)
                p95 = statistics.quantiles(timings, n=20)[-1]
                print(f"{name:34s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (n={ROUNDS})")
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        stop_server(server)


async def _busiest_customer(url: str, seller_id: str) -> str:
    connection = await asyncpg.connect(dsn(url))
    try:
        return str(
            await connection.fetchval(
                "SELECT customer_id FROM invoice WHERE seller_id = $1 GROUP BY customer_id "
                "ORDER BY count(*) DESC, customer_id LIMIT 1",
                seller_id,
            )
        )
    finally:
        await connection.close()


async def explain(url: str) -> None:
    """EXPLAIN ANALYZE of every query the reports send, as the app sends them (captured)."""
    from khata.report import service  # the app's own statements, not copies

    engine = create_engine(url)
    captured: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    factory = create_session_factory(engine)
    seller_id, _ = await api_key(url)
    customer = await _busiest_customer(url, seller_id)
    calls = {
        "aging today": lambda s: service.aging(s, seller_id=seller_id, as_of=TODAY),
        "aging 6 months ago": lambda s: service.aging(
            s, seller_id=seller_id, as_of=TODAY - timedelta(days=182)
        ),
        "dso": lambda s: service.dso(
            s, seller_id=seller_id, start=date(TODAY.year - 1, TODAY.month, 1),
            end=TODAY - timedelta(days=1), interval=service.Interval.MONTH,
        ),
        "statement": lambda s: service.statement(
            s, seller_id=seller_id, customer_id=customer, start=TODAY - timedelta(days=364),
            end=TODAY,
        ),
    }  # fmt: skip
    for name, call in calls.items():
        captured.clear()
        async with factory() as session, session.begin():
            await call(session)
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            for statement, parameters in list(captured):
                if "set_config(" in statement:  # the report's planner settings, for the session
                    await driver.execute(statement.replace(", true)", ", false)"))
                    continue
                plan = await driver.fetch(f"EXPLAIN (ANALYZE) {statement}", *parameters)
                print(f"-- {name}: {statement.split(chr(10))[0][:80]}")
                print("\n".join(row[0] for row in plan))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Drop and build the database.")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    url = database_url()
    work = Path(tempfile.mkdtemp(prefix="khata-bench-reports-"))
    if args.rebuild or not asyncio.run(database_ready(url)):
        build(url, work)
    else:
        migrate.upgrade(url)
        print(f"reusing {DATABASE} (--rebuild to build it again)")
    if args.explain:
        asyncio.run(explain(url))
    if not args.build_only:
        run(url, work)


if __name__ == "__main__":
    main()
