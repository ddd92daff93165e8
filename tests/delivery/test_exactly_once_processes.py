"""Exactly once, from outside: 2 `khata serve` + 2 `khata worker` processes on one PostgreSQL
database and a slow SMTP server that logs every Message-ID. 1,000 dispatch e-mails queued through
both servers' API (half before the workers start, half while they run, some invoices paid
meanwhile), reminders due for every invoice scheduled by both workers at once, passes far longer
than the lease, and one worker `kill -9`'d mid-batch: nothing is lost, and the only duplicates
are sends the killed worker had in flight (claimed by it, never recorded)."""

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from khata.db import create_engine
from khata.delivery.worker import CONCURRENCY
from khata.models import Delivery, Invoice, ReminderOccurrence
from tests.delivery.processes import (
    CountingHandler,
    khata_json,
    kill_group,
    start,
    wait_exit,
    wait_healthy,
)
from tests.delivery.servers import free_port, start_smtp
from tests.support import Database

# Real processes: run once in `make test`, not again at each date of `make test-dates`.
# Processes sharing one database: PostgreSQL (SQLite runs one embedded worker).
pytestmark = [pytest.mark.processes, pytest.mark.only_postgresql]

# 5 customers x 25 invoices x 8 contacts = 1,000 dispatch e-mails (125 invoice PDFs).
CUSTOMERS, CONTACTS, INVOICES = 5, 8, 25
BEFORE_WORKERS = 13  # invoices per customer queued before the workers start; the rest while
PAID = 5  # invoices paid through the API while the workers run
LEASE_SECONDS = 3
KILL_AFTER_RECORDED = 60  # the victim has recorded this many sends when it is killed
# Only a guard against a hang: the run takes 30-70 s on a 2-core machine, quiet to busy.
DEADLINE_SECONDS = 150.0


@dataclass
class Run:
    """The processes, the API, and what the run saw."""

    env: dict[str, str]
    engine: AsyncEngine
    seller_id: str
    headers: dict[str, str]
    bases: list[str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    invoices: dict[str, str] = field(default_factory=dict)  # invoice id -> invoice number
    paid: set[str] = field(default_factory=set)  # invoice numbers
    figures: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def mark(self, moment: str) -> None:
        """Note when (seconds into the run) something happened, for the printed figures."""
        self.figures[f"{moment} at s"] = round(time.monotonic() - self.started, 1)

    async def post(self, http: httpx.AsyncClient, n: int, path: str, body: Any) -> Any:
        """POST to server n % 2 (the two servers take turns); answers the AR payload."""
        response = await http.post(self.bases[n % 2] + path, json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["payload"]

    async def scalar(self, query: Any) -> int:
        async with self.engine.connect() as connection:
            return int((await connection.scalar(query)) or 0)


def _customer(n: int) -> dict[str, Any]:
    return {
        "legalName": f"Buyer {n:02d} Pvt Ltd",
        "state": "Karnataka",
        "customerKeyContacts": [
            {"name": f"AP {k}", "email": f"ap{k}@buyer{n:02d}.example", "mail_enabled": True}
            for k in range(CONTACTS)
        ],
        # Due the day after the due date, long past: due at any date the suite runs at.
        "customerReminders": [
            {"dueDateDifference": 1, "reminderType": "ONCE", "reminderTime": "09:00"}
        ],
    }


def _invoice(customer_id: str, number: str) -> dict[str, Any]:
    return {
        "customerId": customer_id,
        "invoiceNumber": number,
        "invoiceDate": "2020-01-01",
        "dueDate": "2020-01-31",
        "baseAmount": 1000,
        "cgst": 90,
        "sgst": 90,
        "dispatchNow": True,
    }


async def _create_invoices(run: Run, customers: list[str], numbers: range) -> None:
    """The invoices `numbers` of every customer, dispatched on creation, 16 requests at once."""
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=60.0) as http:

        async def one(n: int, customer_id: str, number: str) -> None:
            async with gate:
                payload = await run.post(http, n, "/api/v0/invoice", _invoice(customer_id, number))
            run.invoices[payload["invoiceId"]] = number

        await asyncio.gather(
            *(
                one(c * INVOICES + i, customer_id, f"INV-C{c:02d}-{i:03d}")
                for i in numbers
                for c, customer_id in enumerate(customers)
            )
        )


async def _pay(run: Run, invoice_ids: list[str]) -> None:
    """Report and accept a full payment of each invoice, through both servers."""
    async with httpx.AsyncClient(timeout=60.0) as http:
        for n, invoice_id in enumerate(invoice_ids):
            payment = {
                "paymentId": f"PAY-{n:04d}",
                "type": "OFFPLATFORM",
                "mode": "NEFT",
                "utr": f"UTR{n:06d}",
                "amount": 1180,
                "paidOn": "2020-02-15",
                "invoices": [{"invoiceId": invoice_id, "amount": 1180}],
            }
            await run.post(http, n, "/api/v0/payment", payment)
            confirmation = {"paymentId": payment["paymentId"], "response": "ACCEPT"}
            await run.post(http, n + 1, "/api/v0/invoice/payment-confirmation", confirmation)
            run.paid.add(run.invoices[invoice_id])


def _claimed_by(pid: int) -> Any:
    """SQL: the row's claim token names the worker process `pid` ("host/pid/random#attempt")."""
    return Delivery.claim_token.like(f"%/{pid}/%")


async def _kill_mid_batch(run: Run, victim: subprocess.Popen[bytes]) -> set[str]:
    """SIGKILL the victim mid-batch (holding claims) once it has recorded KILL_AFTER_RECORDED
    sends; answers the ids of the messages it held claimed and had not recorded: all that can
    have been in flight."""
    recorded = select(func.count()).where(_claimed_by(victim.pid), Delivery.status == "SENT")
    holding = select(func.count()).where(_claimed_by(victim.pid), Delivery.status == "PENDING")
    while await run.scalar(recorded) < KILL_AFTER_RECORDED or not await run.scalar(holding):
        assert victim.poll() is None, "the victim worker exited on its own"
        await asyncio.sleep(0.02)
    kill_group(victim)
    run.mark("victim killed")
    victim.wait()
    run.figures["victim recorded"] = await run.scalar(recorded)
    async with run.engine.connect() as connection:
        held = await connection.execute(
            select(Delivery.id).where(_claimed_by(victim.pid), Delivery.status == "PENDING")
        )
        return {delivery_id for (delivery_id,) in held}


async def _settled(run: Run) -> None:
    """Until nothing is pending and every unpaid invoice's reminder is claimed (twice in a row,
    half a second apart: a scheduler pass may be under way)."""
    pending = select(func.count()).where(Delivery.status == "PENDING")
    unreminded = select(func.count()).where(
        Invoice.receivable_status != "PAID",
        ~select(ReminderOccurrence.invoice_id)
        .where(
            ReminderOccurrence.seller_id == Invoice.seller_id,
            ReminderOccurrence.invoice_id == Invoice.id,
        )
        .exists(),
    )
    quiet = 0
    while quiet < 2:
        await asyncio.sleep(0.5)
        done = await run.scalar(pending) == 0 and await run.scalar(unreminded) == 0
        quiet = quiet + 1 if done else 0


def _start_servers(run: Run) -> None:
    for n, base in enumerate(run.bases):
        port = base.rpartition(":")[2]
        log = run.logs / f"serve-{n}.log"
        process = start(run.env, log, "serve", "--port", port, "--no-worker")
        run.processes.append(process)


async def _servers_up(run: Run) -> None:
    for n, base in enumerate(run.bases):
        await wait_healthy(base, run.processes[n], run.logs / f"serve-{n}.log")


async def _scenario(run: Run) -> tuple[set[str], int | None]:
    """Queue, run, kill, finish: answers the victim's unrecorded claims and the survivor's exit
    code after SIGTERM."""
    await _servers_up(run)
    async with httpx.AsyncClient(timeout=60.0) as http:
        customers = [
            (await run.post(http, n, "/api/v0/customer", _customer(n)))["customerId"]
            for n in range(CUSTOMERS)
        ]
    run.mark("servers up")
    await _create_invoices(run, customers, range(BEFORE_WORKERS))
    run.mark("first invoices queued")
    worker_args = ("worker", "--interval", "0.5")
    workers = [start(run.env, run.logs / f"worker-{n}.log", *worker_args) for n in range(2)]
    run.processes.extend(workers)
    victim, survivor = workers
    first_of_each = [i for i, number in run.invoices.items() if number.endswith("-000")]
    held, _, _ = await asyncio.gather(
        _kill_mid_batch(run, victim),
        _create_invoices(run, customers, range(BEFORE_WORKERS, INVOICES)),
        _pay(run, first_of_each[:PAID]),
    )
    run.mark("all invoices queued")
    await _settled(run)
    run.mark("all sent")
    kill_group(survivor, signal.SIGTERM)
    return held, await wait_exit(survivor, 30.0)


async def _rows(run: Run) -> list[tuple[str, str, str]]:
    async with run.engine.connect() as connection:
        result = await connection.execute(
            select(Delivery.id, Delivery.kind, Delivery.status).where(
                Delivery.seller_id == run.seller_id
            )
        )
        return [(d, k, s) for d, k, s in result]


def _reminded(log: list[Any]) -> dict[tuple[str, str], set[str]]:
    """Per (recipient, invoice number): the Message-IDs of the reminders that listed it."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for logged in log:
        for number in logged.invoice_numbers:
            seen[(logged.recipient, number)].add(logged.message_id)
    return seen


async def test_two_servers_two_workers_one_killed_nothing_lost_duplicates_only_in_flight(
    database: Database, scratch_database_url: str, tmp_path: Path
) -> None:
    handler = CountingHandler()
    controller, smtp_port = start_smtp(handler)
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": scratch_database_url,
        "KHATA_PUBLIC_BASE_URL": "http://khata.test",
        "KHATA_REPORT_DIR": str(tmp_path / "reports"),
        "KHATA_SMTP_HOST": "127.0.0.1",
        "KHATA_SMTP_PORT": str(smtp_port),
        "KHATA_SMTP_FROM": "Khata Billing <billing@khata.test>",
        "KHATA_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "KHATA_DELIVERY_BACKOFF_SECONDS": "1",
        "KHATA_DELIVERY_MAX_ATTEMPTS": "20",
        # PDFs in a thread of each worker: two fewer processes on a small machine.
        "KHATA_PDF_RENDER_PROCESSES": "0",
    }
    seller = await khata_json(
        env, "seller", "create", "--name", "Process Traders Pvt Ltd", "--state", "29", "--json"
    )
    run = Run(
        env=env,
        engine=create_engine(scratch_database_url),
        seller_id=seller["sellerId"],
        headers={},
        bases=[f"http://127.0.0.1:{free_port()}" for _ in range(2)],
        logs=tmp_path,
    )
    try:
        # The seller exists: the servers start without making a demo one.
        _start_servers(run)
        token = await khata_json(
            env, "token", "create", "--seller", run.seller_id, "--name", "processes", "--json"
        )
        run.headers["accessToken"] = token["token"]
        held, survivor_exit = await asyncio.wait_for(_scenario(run), DEADLINE_SECONDS)
        rows = await _rows(run)
    finally:
        for process in run.processes:
            kill_group(process, signal.SIGTERM)
        for process in run.processes:
            if await wait_exit(process, 10.0) is None:
                kill_group(process)
        controller.stop()
        await run.engine.dispose()
    _check(run, handler, rows, held, survivor_exit, time.monotonic() - run.started)


def _check(
    run: Run,
    handler: CountingHandler,
    rows: list[tuple[str, str, str]],
    held: set[str],
    survivor_exit: int | None,
    elapsed: float,
) -> None:
    received = handler.count_by_message_id()

    def message_id(delivery_id: str) -> str:
        return f"<{delivery_id}.{run.seller_id}@khata.test>"

    kinds = {kind: [row for row in rows if row[1] == kind] for kind in ("DISPATCH", "REMINDER")}
    statuses = Counter((kind, status) for _id, kind, status in rows)
    lost = [d for d, _kind, status in rows if status == "SENT" and not received[message_id(d)]]
    duplicated = {m: n - 1 for m, n in received.items() if n > 1}
    held_ids = {message_id(d) for d in held}
    reminded = _reminded(handler.log)
    figures = {
        "elapsed s": round(elapsed, 1),
        "dispatch queued": len(kinds["DISPATCH"]),
        "dispatch sent": statuses[("DISPATCH", "SENT")],
        "reminders queued": len(kinds["REMINDER"]),
        "reminders sent": statuses[("REMINDER", "SENT")],
        "reminders cancelled": statuses[("REMINDER", "CANCELLED")],
        "received": handler.received(),
        "distinct Message-IDs": len(received),
        "lost": len(lost),
        "duplicated": sum(duplicated.values()),
        "victim unrecorded claims at kill": len(held),
        **run.figures,
    }
    print(f"\nexactly once, 2 serve + 2 worker processes, lease {LEASE_SECONDS} s: {figures}")
    diagnosis = f"{figures}; logs in {run.logs}"
    assert survivor_exit == 0, diagnosis
    assert len(kinds["DISPATCH"]) == CUSTOMERS * INVOICES * CONTACTS, diagnosis
    # Nothing lost: every message reached a final state, and every one recorded SENT arrived.
    assert set(statuses) <= {("DISPATCH", "SENT"), ("REMINDER", "SENT"), ("REMINDER", "CANCELLED")}
    assert lost == [], diagnosis
    assert set(received) <= {message_id(d) for d, _kind, _status in rows}
    # The killed worker was mid-batch; a duplicate is only a message it held and never recorded,
    # and there are never more than the sends one worker has in flight.
    assert held, diagnosis
    assert set(duplicated) <= held_ids, diagnosis
    assert sum(duplicated.values()) <= min(len(held), CONCURRENCY), diagnosis
    # Two schedulers at once: every contact is reminded of every unpaid invoice exactly once
    # (under one Message-ID), of a paid one at most once.
    wrong = []
    for n in range(CUSTOMERS):
        for k in range(CONTACTS):
            recipient = f"ap{k}@buyer{n:02d}.example"
            for number in sorted(run.invoices.values()):
                if not number.startswith(f"INV-C{n:02d}-"):
                    continue
                times = len(reminded.get((recipient, number), set()))
                if times > 1 or (times == 0 and number not in run.paid):
                    wrong.append((recipient, number, times))
    assert wrong == [], diagnosis
