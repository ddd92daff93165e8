"""Bulk invoice import vs bare COPY (PostgreSQL) and executemany (SQLite), in one run.

PostgreSQL: a scratch database, `khata serve` on it, an N-row invoice CSV uploaded through
POST /api/v0/invoice/bulk/create (client-side wall time, server peak RSS). Then the same rows,
pre-shaped to every invoice column before the clock starts (the same CSV mapped to amounts in
paise, ids, entity numbers, defaults), loaded with `COPY ... FROM STDIN (FORMAT csv)` in one
transaction into fresh tables of the invoice table's columns:
- minimal: only the primary key and the unique (seller_id, invoice_number);
- real: everything `invoice` has (indexes, unique keys, foreign keys, triggers);
- real less one group at a time (foreign keys, search order indexes, report indexes, the
  tally triggers, the customer index), to show what each group costs a COPY.
SQLite: the same file uploaded to `khata serve` on a fresh SQLite file, against `executemany`
of the pre-shaped rows into the same (fresh, migrated) invoice table in one transaction,
rolled back before the upload.

`--tree DIR` runs the server (migrations, seed, serve) of another checkout with its own
.venv, e.g. the pre-redesign baseline: `git worktree add /work/wt-baseline 52c06ef`.

    .venv/bin/python bench/bulk_import.py                    # 100,000 rows
    .venv/bin/python bench/bulk_import.py --rows 1000000 --no-sqlite
"""

import argparse
import asyncio
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from scratch import create_database, drop_database, free_port
from sqlalchemy.engine import make_url

CUSTOMERS = 200
HERE = Path(__file__).resolve()


# -- seed (runs under the tree's own python: it uses only APIs the baseline has too) -----------


async def seed(url: str) -> dict[str, Any]:
    """A seller in Karnataka, an API key and a few customers."""
    from khata.auth import service as auth_service
    from khata.db import create_engine, create_session_factory
    from khata.kit.ids import new_customer_id
    from khata.models import Customer
    from khata.seller import service as seller_service

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
    return {"seller_id": new.seller_id, "key": key, "customers": ids}


def prepare(python: str, url: str) -> dict[str, Any]:
    """Migrations and the seed, run by the tree's own python."""
    env = {**os.environ, "KHATA_DATABASE_URL": url}
    subprocess.run([python, "-m", "khata.cli", "migrate"], env=env, check=True)
    out = subprocess.run(
        [python, str(HERE), "--seed", url], env=env, check=True, capture_output=True, text=True
    )
    seeded: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return seeded


# -- the file and its pre-shaped rows ---------------------------------------------------------


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


def object_id(counter: int, seconds: int) -> str:
    """A time-ordered 24-hex id like kit.ids' (timestamp, then a counter)."""
    return f"{seconds:08x}{counter:016x}"


def shaped_rows(source: Path, seller_id: str, columns: list[str]) -> list[list[Any]]:
    """The file's rows mapped to the invoice table's columns (None where the column is NULL)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    seconds = int(time.time())
    out: list[list[Any]] = []
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for entity, row in enumerate(reader, start=1):
            base = round(float(row[4]) * 100)
            cgst = round(float(row[5]) * 100)
            net = base + 2 * cgst
            values: dict[str, Any] = {
                "seller_id": seller_id,
                "id": object_id(entity, seconds),
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
                "gst_exclusive": True,
                "net_amount": net,
                "total_received": 0,
                "total_credited": 0,
                "total_written_off": 0,
                "balance_amount": net,
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
            out.append([values.get(column) for column in columns])
    return out


def write_table_csv(rows: list[list[Any]], target: Path) -> None:
    def cell(value: Any) -> Any:
        if value is None:
            return ""  # an empty unquoted field is NULL in COPY's CSV format
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, datetime):
            return value.isoformat() + "+00:00"
        return value

    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([cell(value) for value in row])


# -- the server -------------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def profile(pid: int) -> None:
    """BENCH_PROFILE=out.txt: py-spy samples the server (collapsed stacks) until it stops."""
    out = os.environ.get("BENCH_PROFILE")
    if out:
        command = ["py-spy", "record", "-p", str(pid), "-o", out, "-f", "raw", "-r", "100"]
        subprocess.Popen([*command, "--nonblocking"])
        time.sleep(1)


def start_server(python: str, url: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": url,
        "KHATA_REPORT_DIR": str(work / "reports"),
        "KHATA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [python, "-m", "khata.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_until_up(base_url, server)
    profile(server.pid)
    return server, base_url


def wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    """Until the server answers /healthz (a minute at most); exits if it died first."""
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"khata serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("khata serve did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def upload(base_url: str, key: str, path: Path, rows: int) -> float:
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
    payload = response.json()["payload"]
    if payload["success_count"] != rows:
        print(f"warning: only {payload['success_count']} rows saved")
    return elapsed


class Busy(threading.Thread):
    """Samples, every 10 ms, how much of each interval the server's event-loop thread and the
    PostgreSQL backends of its database spent on a CPU (/proc/PID/schedstat): how busy each
    side was, and how long both were busy at once (the overlap of Python and the database)."""

    def __init__(self, server_pid: int, database: str | None) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.database = server_pid, database
        self.done = threading.Event()
        self.python = self.db = self.both = 0.0

    def _backends(self) -> list[int]:
        if self.database is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    command = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if command.startswith(b"postgres: ") and f" {self.database} ".encode() in command:
                    found.append(int(entry.name))
        return found

    @staticmethod
    def _ran(pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError):
            return 0

    def run(self) -> None:
        backends, refreshed = self._backends(), time.monotonic()
        last = {pid: self._ran(pid) for pid in [self.server_pid, *backends]}
        tick = time.monotonic()
        while not self.done.wait(0.01):
            now = time.monotonic()
            if now - refreshed > 0.5:
                backends, refreshed = self._backends(), now
            ran = {pid: self._ran(pid) for pid in [self.server_pid, *backends]}
            wall = now - tick
            python = min(1.0, (ran[self.server_pid] - last.get(self.server_pid, 0)) / 1e9 / wall)
            db = sum(ran[p] - last.get(p, ran[p]) for p in backends) / 1e9 / wall
            self.python += python * wall
            self.db += min(db, 1.0) * wall
            self.both += min(python, db, 1.0) * wall
            last, tick = ran, now


def run_khata(
    python: str, url: str, work: Path, key: str, path: Path, rows: int
) -> tuple[float, float, Busy]:
    server, base_url = start_server(python, url, work)
    database = make_url(url).database if url.startswith("postgresql") else None
    busy = Busy(server.pid, database)
    try:
        busy.start()
        elapsed = upload(base_url, key, path, rows)
        busy.done.set()
        busy.join()
        return elapsed, peak_rss_mb(server.pid), busy
    finally:
        stop_server(server)


def print_busy(busy: Busy, elapsed: float) -> None:
    print(
        f"  during the upload ({elapsed:.2f} s): server event loop on a CPU {busy.python:.2f} s, "
        f"database backends {busy.db:.2f} s, both at once {busy.both:.2f} s"
    )


# -- bare loads -------------------------------------------------------------------------------

# (label, what to leave out of the real table)
_VARIANTS = (
    ("real table (all indexes, foreign keys, triggers)", ""),
    ("  less its foreign keys", "fk"),
    ("  less the search order indexes (ix_invoice_live_*)", "live"),
    ("  less the report indexes (ix_invoice_report_*)", "report"),
    ("  less the tally triggers", "trigger"),
    ("  less (seller_id, customer_id, created_at)", "customer"),
    ("  less fks, tally triggers, customer index", "fk trigger customer"),
)


def _leave_out(name: str, kinds: str) -> bool:
    return (
        ("live" in kinds and name.startswith("ix_invoice_live_"))
        or ("report" in kinds and name.startswith("ix_invoice_report_"))
        or ("customer" in kinds and name == "ix_invoice_seller_id_customer_id_created_at")
    )


async def _table_ddl(connection: asyncpg.Connection, table: str, without: str) -> list[str]:
    """Statements that give `table` (already LIKE invoice, no indexes) invoice's keys,
    indexes, foreign keys and triggers, less the groups named in `without`."""
    ddl: list[str] = []
    for row in await connection.fetch(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE conrelid = 'invoice'::regclass AND contype IN ('p', 'u', 'f')"
    ):
        if row["contype"] == "f" and "fk" in without:
            continue
        ddl.append(f"ALTER TABLE {table} ADD {row['definition']}")
    for row in await connection.fetch(
        "SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'invoice'::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
    ):
        if _leave_out(row["name"], without):
            continue
        ddl.append(
            re.sub(
                r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+)",
                lambda m: f"CREATE {m.group(1) or ''}INDEX {m.group(2)}_b ON {table}",
                row["definition"],
            )
        )
    if "trigger" not in without:
        for row in await connection.fetch(
            "SELECT pg_get_triggerdef(oid) AS definition FROM pg_trigger "
            "WHERE tgrelid = 'invoice'::regclass AND NOT tgisinternal"
        ):
            ddl.append(
                re.sub(r" ON (public\.)?invoice ", f" ON {table} ", row["definition"]).replace(
                    "CREATE TRIGGER ", "CREATE TRIGGER b_"
                )
            )
    return ddl


async def timed_copy(connection: asyncpg.Connection, ddl: list[str], source: Path) -> float:
    table = "invoice_copy_bench"
    columns = [
        r["column_name"]
        for r in await connection.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'invoice' AND table_schema = 'public' ORDER BY ordinal_position"
        )
    ]
    await connection.execute(f"DROP TABLE IF EXISTS {table}")
    await connection.execute(f"CREATE TABLE {table} (LIKE invoice INCLUDING DEFAULTS)")
    for statement in ddl:
        await connection.execute(statement)
    await connection.execute("CHECKPOINT")
    started = time.perf_counter()
    async with connection.transaction():
        await connection.copy_to_table(table, source=source, columns=columns, format="csv")
    elapsed = time.perf_counter() - started
    await connection.execute(f"DROP TABLE {table}")
    return elapsed


async def bare_copies(url: str, source: Path, repeat: int) -> list[tuple[str, float]]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        minimal = [
            "ALTER TABLE invoice_copy_bench ADD PRIMARY KEY (seller_id, id)",
            "ALTER TABLE invoice_copy_bench ADD UNIQUE (seller_id, invoice_number)",
        ]
        results = [("minimal table (primary key, unique number)", minimal)]
        for label, without in _VARIANTS:
            ddl = await _table_ddl(connection, "invoice_copy_bench", without)
            results.append((label, ddl))
        # Best of `repeat` for each, interleaved: other work on the machine comes and goes.
        best = [float("inf")] * len(results)
        for _ in range(repeat):
            for index, (_label, ddl) in enumerate(results):
                best[index] = min(best[index], await timed_copy(connection, ddl, source))
        return [(label, seconds) for (label, _ddl), seconds in zip(results, best, strict=True)]
    finally:
        await connection.close()


async def pg_columns(url: str) -> list[str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'invoice' AND table_schema = 'public' ORDER BY ordinal_position"
        )
        return [r["column_name"] for r in rows]
    finally:
        await connection.close()


def sqlite_executemany(path: Path, rows: list[list[Any]], columns: list[str]) -> float:
    """executemany of the pre-shaped rows into the migrated invoice table in one transaction,
    with khata's connection settings; rolled back, so the upload after it finds it empty."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO invoice ({', '.join(columns)}) VALUES ({marks})"

    def value(cell: Any) -> Any:
        if isinstance(cell, datetime):
            return cell.isoformat(sep=" ")
        return cell

    shaped = [[value(cell) for cell in row] for row in rows]
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(statement, shaped)
    elapsed = time.perf_counter() - started
    connection.execute("ROLLBACK")
    connection.close()
    return elapsed


# -- the run ----------------------------------------------------------------------------------


def postgresql_part(python: str, rows: int, work: Path, repeat: int) -> None:
    url = asyncio.run(create_database())
    try:
        seeded = prepare(python, url)
        path = work / "invoices.csv"
        write_csv(path, rows, seeded["customers"])
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"{rows:,} rows, {size_mb:.1f} MB CSV, database {make_url(url).database}")
        table_csv = work / "invoices_table_shape.csv"
        columns = asyncio.run(pg_columns(url))
        write_table_csv(shaped_rows(path, seeded["seller_id"], columns), table_csv)
        ours, rss, busy = run_khata(python, url, work, seeded["key"], path, rows)
        copies = asyncio.run(bare_copies(url, table_csv, repeat))
        ours_rate = rows / ours
        print("PostgreSQL")
        print(
            f"  khata bulk upload (HTTP, client wall time): {ours:7.2f} s {ours_rate:>9,.0f} rows/s"
        )
        minimal_rate = rows / copies[0][1]
        real_rate = rows / copies[1][1]
        print(f"  COPY of the pre-shaped rows, one transaction, best of {repeat}:")
        for label, seconds in copies:
            print(f"    into {label:52} {seconds:7.2f} s {rows / seconds:>9,.0f} rows/s")
        print(f"  ratio khata / COPY minimal: {ours_rate / minimal_rate:.2f}  (goal >= 0.4)")
        print(f"  ratio khata / COPY real:    {ours_rate / real_rate:.2f}")
        print(f"  server peak RSS (VmHWM): {rss:.0f} MB  (goal <= 400 MB at 1,000,000 rows)")
        print_busy(busy, ours)
    finally:
        asyncio.run(drop_database(url))


def sqlite_part(python: str, rows: int, work: Path) -> None:
    db = work / "bench.sqlite"
    url = f"sqlite+aiosqlite:///{db}"
    seeded = prepare(python, url)
    path = work / "invoices_sqlite.csv"
    write_csv(path, rows, seeded["customers"])
    with sqlite3.connect(db) as connection:
        columns = [r[1] for r in connection.execute("PRAGMA table_info(invoice)")]
    shaped = shaped_rows(path, seeded["seller_id"], columns)
    bare = sqlite_executemany(db, shaped, columns)
    del shaped
    ours, rss, busy = run_khata(python, url, work, seeded["key"], path, rows)
    ours_rate, bare_rate = rows / ours, rows / bare
    print("SQLite")
    print(f"  khata bulk upload (HTTP, client wall time): {ours:7.2f} s {ours_rate:>9,.0f} rows/s")
    print(f"  executemany into invoice, one transaction:  {bare:7.2f} s {bare_rate:>9,.0f} rows/s")
    print(f"  ratio khata / executemany: {ours_rate / bare_rate:.2f}  (goal >= 0.5)")
    print(f"  server peak RSS (VmHWM): {rss:.0f} MB")
    print_busy(busy, ours)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed":
        print(json.dumps(asyncio.run(seed(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tree", type=Path, default=HERE.parent.parent)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="COPY timings: best of N")
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    python = str(args.tree.resolve() / ".venv" / "bin" / "python")
    print(f"server: {args.tree.resolve()} (commit {_commit(args.tree)})")
    work = Path(tempfile.mkdtemp(prefix="khata-bench-"))
    if not args.no_postgresql:
        postgresql_part(python, args.rows, work, args.repeat)
    if not args.no_sqlite:
        sqlite_part(python, args.rows, work)


def _commit(tree: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip()


if __name__ == "__main__":
    main()
