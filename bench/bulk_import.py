"""Bulk invoice import vs bare COPY on PostgreSQL: rows/s of both, their ratio, server peak RSS.

Creates a scratch PostgreSQL database, starts `khata serve` on it, uploads an N-row invoice CSV
through POST /api/v0/invoice/bulk/create, then loads the same rows with bare COPY into a scratch
table of the invoice table's shape: `COPY ... FROM STDIN (FORMAT csv)` of the rows mapped to the
invoice columns (that mapping is prepared before the clock starts), into a table with the same
columns, defaults, keys, indexes and foreign keys as `invoice`, in one transaction.

    .venv/bin/python bench/bulk_import.py                # 200,000 rows
    .venv/bin/python bench/bulk_import.py --rows 1000000
"""

import argparse
import asyncio
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from scratch import create_database, drop_database, free_port
from sqlalchemy.engine import make_url

from khata import migrate
from khata.auth import service as auth_service
from khata.db import create_engine, create_session_factory
from khata.invoice.rows import INVOICE_COLUMNS
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer
from khata.seller import service as seller_service

CUSTOMERS = 200


async def seed(url: str) -> tuple[str, str, list[str]]:
    """A seller in Karnataka, an API key and a few customers (half in another state)."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        new = await seller_service.create_seller(
            session, name="Bench Traders", state="29", gstin=None, now=now
        )
        key, _ = await auth_service.create_api_key(
            session, seller_id=new.seller_id, name="bench", now=now
        )
        ids = [new_customer_id() for _ in range(CUSTOMERS)]
        for index, customer_id in enumerate(ids):
            session.add(
                Customer(
                    seller_id=new.seller_id,
                    id=customer_id,
                    legal_name=f"Buyer {index}",
                    state="29",
                    status="ACTIVE",
                    deleted=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()
    return new.seller_id, key, ids


def write_csv(path: Path, rows: int, customers: list[str]) -> None:
    start = date(2025, 4, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "invoiceNumber",
                "customerId",
                "invoiceDate",
                "dueDate",
                "baseAmount",
                "cgst",
                "sgst",
                "igst",
                "tds",
                "description",
                "poNumber",
            ]
        )
        for i in range(rows):
            base = 1000 + (i % 9000) + (i % 100) / 100
            tax = round(base * 0.09, 2)
            day = start + timedelta(days=i % 300)
            writer.writerow(
                [
                    f"BENCH-{i:08d}",
                    customers[i % len(customers)],
                    day.isoformat(),
                    (day + timedelta(days=30)).isoformat(),
                    f"{base:.2f}",
                    f"{tax:.2f}",
                    f"{tax:.2f}",
                    "0",
                    "0",
                    f"Goods batch {i}",
                    f"PO-{i % 5000}",
                ]
            )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"khata serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("khata serve did not start")


def upload(base_url: str, key: str, path: Path) -> tuple[float, dict[str, object]]:
    with path.open("rb") as handle:
        started = time.perf_counter()
        response = httpx.post(
            f"{base_url}/api/v0/invoice/bulk/create",
            headers={"accessToken": key},
            files={"file": (path.name, handle, "text/csv")},
            timeout=None,
        )
        elapsed = time.perf_counter() - started
    response.raise_for_status()
    payload: dict[str, object] = response.json()["payload"]
    return elapsed, payload


def write_table_csv(source: Path, target: Path, seller_id: str) -> None:
    """The generated file's rows mapped to the invoice table's columns (amounts in paise, ids,
    entity numbers, defaults), as CSV text for PostgreSQL to parse. Not timed: this is the
    shape a bare COPY needs, not work a bare COPY does."""
    now = datetime.now(UTC).isoformat()
    with (
        source.open(newline="", encoding="utf-8") as handle,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.reader(handle)
        writer = csv.writer(out)
        next(reader)
        for entity, row in enumerate(reader, start=1):
            base = round(float(row[4]) * 100)
            cgst = round(float(row[5]) * 100)
            net = base + 2 * cgst
            values: dict[str, object] = {
                "seller_id": seller_id,
                "id": new_object_id(),
                "entity_id": entity,
                "invoice_number": row[0],
                "customer_id": row[1],
                "invoice_date": row[2],
                "due_date": row[3],
                "description": row[9],
                "po_number": row[10],
                "base_amount": base,
                "cgst": cgst,
                "sgst": cgst,
                "igst": 0,
                "tds": 0,
                "gst_exclusive": "t",
                "net_amount": net,
                "total_received": 0,
                "balance_amount": net,
                "partial_payment_allowed": "t",
                "receivable_status": "CREATED",
                "approval_status": "APPROVED",
                "dispatched": "f",
                "via": "BULK_UPLOAD",
                "meta_fields": "[]",
                "deleted": "f",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            # Missing columns are NULL: an empty unquoted field in COPY's CSV format.
            writer.writerow([values.get(column, "") for column in INVOICE_COLUMNS])


async def raw_copy(url: str, seller_id: str, path: Path) -> float:
    """Bare COPY: `COPY invoice_copy_bench (...) FROM STDIN (FORMAT csv)` of the same rows in
    one transaction, PostgreSQL parsing the text, into a table with the invoice table's
    columns, defaults, primary key, unique constraints, indexes and foreign keys."""
    table_csv = path.with_name("invoices_table_shape.csv")
    write_table_csv(path, table_csv, seller_id)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("CREATE TABLE invoice_copy_bench (LIKE invoice INCLUDING ALL)")
        foreign_keys = await connection.fetch(
            "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint "
            "WHERE conrelid = 'invoice'::regclass AND contype = 'f'"
        )
        for key in foreign_keys:
            await connection.execute(f"ALTER TABLE invoice_copy_bench ADD {key['definition']}")
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_to_table(
                "invoice_copy_bench",
                source=table_csv,
                columns=list(INVOICE_COLUMNS),
                format="csv",
            )
        elapsed = time.perf_counter() - started
        loaded = await connection.fetchval("SELECT count(*) FROM invoice_copy_bench")
        print(f"raw COPY loaded {loaded:,} rows ({len(foreign_keys)} foreign keys checked)")
        return elapsed
    finally:
        await connection.close()
        table_csv.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()

    url = asyncio.run(create_database())
    work = Path(tempfile.mkdtemp(prefix="khata-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        migrate.upgrade(url)
        seller_id, key, customers = asyncio.run(seed(url))
        path = work / "invoices.csv"
        write_csv(path, args.rows, customers)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"{args.rows:,} rows, {size_mb:.1f} MB CSV, database {make_url(url).database}")

        port = free_port()
        env = {
            **os.environ,
            "KHATA_DATABASE_URL": url,
            "KHATA_REPORT_DIR": str(work / "reports"),
            "KHATA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "khata.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, server)
        ours, payload = upload(base_url, key, path)
        rss = peak_rss_mb(server.pid)
        if payload["success_count"] != args.rows:
            print(f"warning: only {payload['success_count']} rows saved: {payload}")
        copy = asyncio.run(raw_copy(url, seller_id, path))

        ours_rate, copy_rate = args.rows / ours, args.rows / copy
        print(
            "khata: POST /api/v0/invoice/bulk/create of the CSV (upload, checks, look-ups, "
            "COPY per committed batch, reports), client-side wall time"
        )
        print(
            "bare COPY: COPY ... FROM STDIN (FORMAT csv) of the same rows pre-shaped to the "
            "invoice columns, into a copy of the invoice table (same indexes and foreign keys), "
            "one transaction"
        )
        print(f"khata bulk upload: {ours:8.2f} s  {ours_rate:>10,.0f} rows/s")
        print(f"bare COPY:         {copy:8.2f} s  {copy_rate:>10,.0f} rows/s")
        print(f"ratio (ours / COPY): {ours_rate / copy_rate:.2f}  (target >= 0.5)")
        print(f"server peak RSS (VmHWM): {rss:.0f} MB  (target < 400 MB at 1,000,000 rows)")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            asyncio.run(drop_database(url))


if __name__ == "__main__":
    main()
