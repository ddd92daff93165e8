"""Exactly once, from outside: `khata serve` + 2 `khata worker` processes on one PostgreSQL
database and a slow receiver that checks every signature and counts every event id. 300
invoice.created events (half before the workers start, half while they run), lease 3 s, one
worker `kill -9`'d mid-batch: every event arrives, and the only repeats are deliveries the
killed worker held and never recorded (in flight at the kill), each with the same event id."""

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from khata.db import create_engine
from khata.models import WebhookDelivery
from khata.webhook.sender import CONCURRENCY
from tests.delivery.processes import khata_json, kill_group, start, wait_exit, wait_healthy
from tests.delivery.servers import free_port
from tests.support import Database
from tests.webhook.receiver import Receiver, running_receiver

# Real processes: run once in `make test`, not again at each date of `make test-dates`.
# Processes sharing one database: PostgreSQL (SQLite runs one embedded worker).
pytestmark = [pytest.mark.processes, pytest.mark.only_postgresql]

BEFORE_WORKERS, WHILE_RUNNING = 150, 150
LEASE_SECONDS = 3
KILL_AFTER_RECORDED = 40
DEADLINE_SECONDS = 150.0


async def _scalar(engine: AsyncEngine, query: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.scalar(query)) or 0)


def _claimed_by(pid: int) -> Any:
    return WebhookDelivery.claim_token.like(f"%/{pid}/%")


async def _create_invoices(
    base: str, headers: dict[str, str], customer_id: str, numbers: range
) -> None:
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=60.0) as http:

        async def one(n: int) -> None:
            body = {
                "customerId": customer_id,
                "invoiceNumber": f"PROC-{n:04d}",
                "invoiceDate": "2020-01-01",
                "dueDate": "2020-01-31",
                "baseAmount": 1000,
                "cgst": 90,
                "sgst": 90,
            }
            async with gate:
                answer = await http.post(f"{base}/api/v0/invoice", json=body, headers=headers)
            assert answer.status_code == 200, answer.text

        await asyncio.gather(*(one(n) for n in numbers))


async def _kill_mid_batch(engine: AsyncEngine, victim: subprocess.Popen[bytes]) -> set[str]:
    """SIGKILL the victim once it has recorded KILL_AFTER_RECORDED deliveries while holding
    others; answers the event ids of the deliveries it held unrecorded (all it can have had in
    flight)."""
    recorded = select(func.count()).where(
        _claimed_by(victim.pid), WebhookDelivery.status == "DELIVERED"
    )
    holding = select(func.count()).where(
        _claimed_by(victim.pid), WebhookDelivery.status == "PENDING"
    )
    while await _scalar(engine, recorded) < KILL_AFTER_RECORDED or not await _scalar(
        engine, holding
    ):
        assert victim.poll() is None, "the victim worker exited on its own"
        await asyncio.sleep(0.02)
    kill_group(victim)
    victim.wait()
    async with engine.connect() as connection:
        held = await connection.execute(
            select(WebhookDelivery.event_id).where(
                _claimed_by(victim.pid), WebhookDelivery.status == "PENDING"
            )
        )
        return {event_id for (event_id,) in held}


async def _settled(engine: AsyncEngine) -> None:
    pending = select(func.count()).where(WebhookDelivery.status == "PENDING")
    for _ in range(int(DEADLINE_SECONDS / 0.3)):
        if not await _scalar(engine, pending):
            return
        await asyncio.sleep(0.3)
    raise AssertionError("webhook deliveries still pending")


async def test_two_workers_one_killed_each_event_arrives_once_repeats_only_in_flight(
    database: Database, scratch_database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": scratch_database_url,
        "KHATA_PUBLIC_BASE_URL": "http://khata.test",
        "KHATA_REPORT_DIR": str(tmp_path / "reports"),
        "KHATA_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "KHATA_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "KHATA_DELIVERY_BACKOFF_SECONDS": "1",
    }
    seller = await khata_json(
        env, "seller", "create", "--name", "Hook Traders Pvt Ltd", "--state", "29", "--json"
    )
    processes: list[subprocess.Popen[bytes]] = []
    engine = create_engine(scratch_database_url)
    started = time.monotonic()
    with running_receiver() as receiver:
        receiver.hold_seconds = 0.03
        try:
            server = start(env, tmp_path / "serve.log", "serve", "--port", str(port), "--no-worker")
            processes.append(server)
            token = await khata_json(
                env, "token", "create", "--seller", seller["sellerId"], "--name", "p", "--json"
            )
            headers = {"accessToken": token["token"]}
            held, survivor_exit = await asyncio.wait_for(
                _scenario(env, base, headers, receiver, engine, processes, tmp_path),
                DEADLINE_SECONDS,
            )
            statuses = await _statuses(engine)
        finally:
            for process in processes:
                kill_group(process, signal.SIGTERM)
            for process in processes:
                if await wait_exit(process, 10.0) is None:
                    kill_group(process)
            await engine.dispose()
    _check(receiver, held, survivor_exit, statuses, time.monotonic() - started, tmp_path)


async def _scenario(
    env: dict[str, str],
    base: str,
    headers: dict[str, str],
    receiver: Receiver,
    engine: AsyncEngine,
    processes: list[subprocess.Popen[bytes]],
    logs: Path,
) -> tuple[set[str], int | None]:
    await wait_healthy(base, processes[0], logs / "serve.log")
    async with httpx.AsyncClient(timeout=60.0) as http:
        hook = await http.post(
            f"{base}/api/v0/webhook-endpoint",
            json={"url": receiver.url, "enabledEvents": ["invoice.created"]},
            headers=headers,
        )
        assert hook.status_code == 200, hook.text
        receiver.secrets.append(hook.json()["payload"]["secret"])
        customer = await http.post(
            f"{base}/api/v0/customer",
            json={
                "legalName": "Hook Buyer Pvt Ltd",
                "state": "Karnataka",
                "customerKeyContacts": [{"name": "AP", "email": "ap@hook.example"}],
            },
            headers=headers,
        )
        assert customer.status_code == 200, customer.text
    customer_id = customer.json()["payload"]["customerId"]
    await _create_invoices(base, headers, customer_id, range(BEFORE_WORKERS))
    workers = [
        start(env, logs / f"worker-{n}.log", "worker", "--interval", "0.5") for n in range(2)
    ]
    processes.extend(workers)
    victim, survivor = workers
    held, _ = await asyncio.gather(
        _kill_mid_batch(engine, victim),
        _create_invoices(
            base, headers, customer_id, range(BEFORE_WORKERS, BEFORE_WORKERS + WHILE_RUNNING)
        ),
    )
    await _settled(engine)
    kill_group(survivor, signal.SIGTERM)
    return held, await wait_exit(survivor, 30.0)


async def _statuses(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(WebhookDelivery.event_id, WebhookDelivery.status))
        return {event_id: status for event_id, status in rows}


def _check(
    receiver: Receiver,
    held: set[str],
    survivor_exit: int | None,
    statuses: dict[str, str],
    elapsed: float,
    logs: Path,
) -> None:
    accepted = receiver.accepted()
    repeated = {event_id: n - 1 for event_id, n in accepted.items() if n > 1}
    figures = {
        "elapsed s": round(elapsed, 1),
        "events": len(statuses),
        "received": len(receiver.received),
        "distinct event ids": len(accepted),
        "repeats": sum(repeated.values()),
        "victim unrecorded claims at kill": len(held),
    }
    print(f"\nwebhooks exactly once, 2 worker processes, lease {LEASE_SECONDS} s: {figures}")
    diagnosis = f"{figures}; logs in {logs}"
    assert survivor_exit == 0, diagnosis
    assert len(statuses) == BEFORE_WORKERS + WHILE_RUNNING, diagnosis
    assert set(statuses.values()) == {"DELIVERED"}, diagnosis
    assert all(r.valid for r in receiver.received), diagnosis
    # Nothing lost: every event arrived, signed.
    assert set(accepted) == set(statuses), diagnosis
    # A repeat is only a delivery the killed worker held and never recorded, at most once more,
    # and never more of them than one worker has in flight.
    assert held, diagnosis
    assert set(repeated) <= held, diagnosis
    assert set(repeated.values()) <= {1}, diagnosis
    assert sum(repeated.values()) <= min(len(held), CONCURRENCY), diagnosis
    assert Counter(accepted.values()) == Counter(
        {1: len(statuses) - len(repeated), **({2: len(repeated)} if repeated else {})}
    ), diagnosis
