"""Many processes, one truth: real `khata serve` processes on one scratch PostgreSQL database.

Two servers started together on an empty database make one demo seller; a bulk file uploaded
on one has its report files served, byte for byte, by the other; wrong passwords alternating
between them meet one failed-login limit. A server killed (SIGKILL) mid-import leaves a job that
the next start closes as FAILED with the counts of what it saved, a success file listing exactly
those invoices, no upload file behind, and a re-upload that completes. SIGTERM lets a request
finish within the grace period, and past it fails the job with its true counts.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from khata.db import create_engine
from tests.bulk.factories import read_csv_report, xlsx_bytes
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.support import Database

# Real processes: run once in `make test`, not again at each date of `make test-dates`.
# Processes share state through PostgreSQL (SQLite is one writer).
pytestmark = [pytest.mark.processes, pytest.mark.only_postgresql]

# Twelve batches: the kill lands after the first commits, the re-upload stays short.
KILL_TEST_ROWS = 60_000
_READY_SECONDS = 60


@dataclass
class Server:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _start(env: dict[str, str], folder: Path, name: str) -> Server:
    port = _free_port()
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "khata.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            env={**env, "COLUMNS": "200"},
            cwd=folder,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return Server(process, port, log)


async def _ready(server: Server) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                pytest.fail(f"khata serve exited:\n{server.output()}")
            try:
                if (await client.get(f"{server.url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"khata serve did not answer in {_READY_SECONDS} s:\n{server.output()}")


async def _stop(server: Server) -> None:
    if server.process.returncode is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(server.process.wait(), 30)
        except TimeoutError:
            server.process.kill()
            await server.process.wait()


@dataclass
class Demo:
    email: str
    password: str
    client_id: str
    client_secret: str


def _demo_of(output: str) -> Demo | None:
    login = re.search(r"admin login:\s+(\S+) / (\S+)", output)
    client = re.search(r"OAuth client:\s+(\S+) / (\S+)", output)
    if login is None or client is None:
        return None
    return Demo(login.group(1), login.group(2), client.group(1), client.group(2))


@pytest.fixture
async def scratch_postgres(database: Database) -> AsyncIterator[str]:
    url = await _create_postgres_database()
    yield url
    await _drop_postgres_database(url)


async def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def _admin_headers(client: httpx.AsyncClient, base: str, demo: Demo) -> dict[str, str]:
    login = await client.post(
        f"{base}/oauth/token",
        data={"grant_type": "password", "username": demo.email, "password": demo.password},
        auth=(demo.client_id, demo.client_secret),
    )
    assert login.status_code == 200, login.text
    return {"accessToken": login.json()["access_token"]}


async def _customer(client: httpx.AsyncClient, base: str, headers: dict[str, str]) -> str:
    made = await client.post(
        f"{base}/api/v0/customer",
        json={
            "legalName": "Process Buyer Pvt Ltd",
            "state": "27",
            "customerKeyContacts": [{"name": "Asha", "email": "asha@buyer.example"}],
        },
        headers=headers,
    )
    assert made.status_code == 200, made.text
    customer_id: str = made.json()["payload"]["customerId"]
    return customer_id


def _env(url: str, folder: Path, **extra: str) -> dict[str, str]:
    uploads = folder / "uploads"
    uploads.mkdir(exist_ok=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("KHATA_")},
        "KHATA_DATABASE_URL": url,
        "KHATA_UPLOAD_DIR": str(uploads),
        **extra,
    }


async def test_two_servers_share_one_demo_seller_reports_and_login_limit(
    scratch_postgres: str, tmp_path: Path
) -> None:
    env = _env(scratch_postgres, tmp_path)
    first, second = await asyncio.gather(
        _start({**env, "KHATA_LOG_FORMAT": "json"}, tmp_path, "a"),
        _start({**env, "KHATA_ACCESS_LOG": "false"}, tmp_path, "b"),
    )
    try:
        await asyncio.gather(_ready(first), _ready(second))
        sellers = await _scalar(scratch_postgres, "SELECT count(*) FROM seller")
        made = [d for d in (_demo_of(first.output()), _demo_of(second.output())) if d]
        assert (sellers, len(made)) == (1, 1)  # one server made it, the other found it
        demo = made[0]
        async with httpx.AsyncClient(timeout=60) as client:
            headers = await _admin_headers(client, first.url, demo)
            customer = await _customer(client, first.url, headers)
            book = xlsx_bytes(
                {
                    "invoices": (
                        ["invoiceNumber", "customerId", "invoiceDate", "dueDate", "baseAmount"],
                        [
                            [f"TWO-{n}", customer, "2026-11-01", "2026-12-01", 100 + n]
                            for n in range(40)
                        ]
                        + [["TWO-BAD", "KCNOSUCHCUSTOM00", "2026-11-01", "2026-12-01", 5]],
                    )
                }
            )
            uploaded = await client.post(
                f"{first.url}/api/v0/invoice/bulk/create",
                files={"file": ("two.xlsx", book)},
                headers=headers,
            )
            assert uploaded.status_code == 200, uploaded.text
            job = uploaded.json()["payload"]
            assert (job["status"], job["success_count"], job["failure_count"]) == (
                "COMPLETED",
                40,
                1,
            )
            for kind in ("success", "failure"):
                path = f"/api/v0/bulk/{job['jobId']}/files/{kind}"
                here = await client.get(first.url + path, headers=headers)
                there = await client.get(second.url + path, headers=headers)
                assert (here.status_code, there.status_code) == (200, 200)
                assert here.content == there.content and len(here.content) > 1000
            listed = await client.get(f"{second.url}/api/v0/bulk", headers=headers)
            assert [j["jobId"] for j in listed.json()["payload"]["jobs"]] == [job["jobId"]]

            bad = {"grant_type": "password", "username": demo.email, "password": "wrong"}
            auth = (demo.client_id, demo.client_secret)
            codes = [
                (await client.post(f"{s.url}/oauth/token", data=bad, auth=auth)).status_code
                for s in (first, second) * 5
            ]
            good = {**bad, "password": demo.password}
            eleventh = await client.post(f"{first.url}/oauth/token", data=good, auth=auth)
            assert codes == [400] * 10
            assert eleventh.status_code == 429

            traced = await client.get(
                f"{first.url}/api/v0/bulk/{job['jobId']}",
                headers={**headers, "X-Request-ID": "trace-me-42"},
            )
            assert traced.headers["x-request-id"] == "trace-me-42"
    finally:
        await asyncio.gather(_stop(first), _stop(second))
    records = [json.loads(line) for line in first.output().splitlines() if line.startswith("{")]
    traced_lines = [r for r in records if r["request_id"] == "trace-me-42"]
    assert traced_lines and "/api/v0/bulk/" in traced_lines[0]["message"]
    # The second server answered the same kinds of requests, and logged none of them.
    assert '"GET /api/v0/bulk' not in second.output()
    assert '"POST /oauth/token' in first.output() and '"POST /oauth/token' not in second.output()


def _big_file(customer: str, rows: int, prefix: str = "K") -> bytes:
    header = "invoiceNumber,customerId,invoiceDate,dueDate,baseAmount\n"
    lines = (
        f"{prefix}-{n:06d},{customer},2026-11-01,2026-12-01,{100 + n % 900}\n" for n in range(rows)
    )
    return (header + "".join(lines)).encode()


async def _saved_ids(url: str, seller_id: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT id FROM invoice WHERE seller_id = :s ORDER BY entity_id"),
                {"s": seller_id},
            )
            return [row[0] for row in result]
    finally:
        await engine.dispose()


async def _when_saved(
    client: httpx.AsyncClient,
    server: Server,
    headers: dict[str, str],
    upload: "asyncio.Task[httpx.Response]",
    *,
    at_least: int,
) -> dict[str, Any]:
    """The running job (from the seller's job list) once `at_least` of its rows are saved."""
    running: dict[str, Any] = {}
    while running.get("success_count", 0) < at_least:
        await asyncio.sleep(0.1)
        listed = await client.get(f"{server.url}/api/v0/bulk", headers=headers)
        jobs = [j for j in listed.json()["payload"]["jobs"] if j["status"] == "RUNNING"]
        running = jobs[0] if jobs else {}
        assert not upload.done(), "the import finished before the moment came"
    return running


async def _job_row(url: str, job_id: str) -> tuple[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT status, success_count FROM bulk_job WHERE id = :id"),
                    {"id": job_id},
                )
            ).one()
            return str(row[0]), int(row[1])
    finally:
        await engine.dispose()


async def test_sigterm_lets_an_import_finish_in_the_grace_period_else_fails_it_truthfully(
    scratch_postgres: str, tmp_path: Path
) -> None:
    env = _env(scratch_postgres, tmp_path)
    patient = await _start({**env, "KHATA_SHUTDOWN_GRACE_SECONDS": "60"}, tmp_path, "patient")
    hasty = None
    try:
        await _ready(patient)
        demo = _demo_of(patient.output())
        assert demo is not None
        seller_id = demo.client_id.split(".")[0]
        async with httpx.AsyncClient(timeout=120) as client:
            headers = await _admin_headers(client, patient.url, demo)
            customer = await _customer(client, patient.url, headers)
            small = _big_file(customer, 20_000, prefix="T")
            upload = asyncio.create_task(
                client.post(
                    f"{patient.url}/api/v0/invoice/bulk/create",
                    files={"file": ("small.csv", small)},
                    headers=headers,
                )
            )
            await _when_saved(client, patient, headers, upload, at_least=1)
            patient.process.send_signal(signal.SIGTERM)
            finished = await upload
            assert finished.status_code == 200, finished.text
            assert finished.json()["payload"]["status"] == "COMPLETED"
            # uvicorn ends a graceful shutdown by re-raising the signal it caught
            assert await asyncio.wait_for(patient.process.wait(), 30) in (0, -signal.SIGTERM)

            hasty = await _start({**env, "KHATA_SHUTDOWN_GRACE_SECONDS": "1"}, tmp_path, "hasty")
            await _ready(hasty)
            big = _big_file(customer, KILL_TEST_ROWS, prefix="H")
            upload = asyncio.create_task(
                client.post(
                    f"{hasty.url}/api/v0/invoice/bulk/create",
                    files={"file": ("big.csv", big)},
                    headers=headers,
                )
            )
            running = await _when_saved(client, hasty, headers, upload, at_least=1)
            hasty.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(httpx.TransportError):
                await upload
            await asyncio.wait_for(hasty.process.wait(), 30)
            status, saved_count = await _job_row(scratch_postgres, running["jobId"])
            saved = await _saved_ids(scratch_postgres, seller_id)
            print(f"SIGTERM with 1 s grace: job {status}, {saved_count} of {KILL_TEST_ROWS} saved")
            assert status == "FAILED"  # closed by the process itself, nobody restarted
            assert saved_count == len(saved) - 20_000 < KILL_TEST_ROWS
            assert os.listdir(env["KHATA_UPLOAD_DIR"]) == []
    finally:
        await _stop(patient)
        if hasty is not None:
            await _stop(hasty)


async def test_a_server_killed_mid_import_leaves_a_failed_job_that_tells_the_truth(
    scratch_postgres: str, tmp_path: Path
) -> None:
    env = _env(scratch_postgres, tmp_path)
    uploads = Path(env["KHATA_UPLOAD_DIR"])
    server = await _start(env, tmp_path, "doomed")
    try:
        await _ready(server)
        demo = _demo_of(server.output())
        assert demo is not None
        async with httpx.AsyncClient(timeout=120) as client:
            headers = await _admin_headers(client, server.url, demo)
            customer = await _customer(client, server.url, headers)
            seller_id = demo.client_id.split(".")[0]
            content = _big_file(customer, KILL_TEST_ROWS)
            upload = asyncio.create_task(
                client.post(
                    f"{server.url}/api/v0/invoice/bulk/create",
                    files={"file": ("big.csv", content)},
                    headers=headers,
                )
            )
            running = await _when_saved(client, server, headers, upload, at_least=10_000)
            server.process.send_signal(signal.SIGKILL)
            await server.process.wait()
            with pytest.raises(httpx.TransportError):
                await upload
            assert running["status"] == "RUNNING"
            assert len(os.listdir(uploads)) == 1  # what the dead process left

            server = await _start(env, tmp_path, "restarted")
            await _ready(server)
            job = (
                await client.get(f"{server.url}/api/v0/bulk/{running['jobId']}", headers=headers)
            ).json()["payload"]
            saved = await _saved_ids(scratch_postgres, seller_id)
            success = read_csv_report(
                (await client.get(job["success_file_url"], headers=headers)).content
            )
            print(
                f"killed after {running['success_count']} rows seen saved; "
                f"job closed as {job['status']} with {job['success_count']} saved, "
                f"{len(saved)} invoices in the database, success file {len(success)} rows"
            )
            assert job["status"] == "FAILED"
            assert 0 < job["success_count"] == len(saved) < KILL_TEST_ROWS
            assert job["total_count"] == job["success_count"] + job["failure_count"]
            assert [row["invoiceId"] for row in success] == saved
            assert os.listdir(uploads) == []
            assert "closed 1 bulk job(s)" in server.output()

            again = await client.post(
                f"{server.url}/api/v0/invoice/bulk/create",
                files={"file": ("big.csv", content)},
                headers=headers,
            )
            redone = again.json()["payload"]
            assert (redone["status"], redone["success_count"], redone["failure_count"]) == (
                "COMPLETED",
                KILL_TEST_ROWS,
                0,
            )
            assert redone["warn_count"] == len(saved)  # "already imported"
            assert len(await _saved_ids(scratch_postgres, seller_id)) == KILL_TEST_ROWS
            assert os.listdir(uploads) == []
    finally:
        await _stop(server)
