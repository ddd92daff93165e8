"""Absolute links follow the address the service is reached at: a real `khata serve` on a port
other than 8000, forwarded headers only when trusted, and KHATA_PUBLIC_BASE_URL above both."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from khata.app import create_app
from khata.config import Settings
from tests.bulk.factories import csv_bytes, invoice_row
from tests.invoice.ar_factories import invoice_body
from tests.support import Database, SellerContext, create_customer
from tests.test_cli import free_port

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ar.example.in"}


@dataclass
class Server:
    base: str
    output: str = ""


@asynccontextmanager
async def khata_serve(database: Database, tmp_path: Path, *extra: str) -> AsyncIterator[Server]:
    """A real `khata serve` on a free port, with no KHATA_ setting but the database's."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KHATA_")}
    env |= {"KHATA_DATABASE_URL": database.url, "KHATA_REPORT_DIR": str(tmp_path / str(port))}
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "khata.cli", "serve", "--port", str(port), "--no-worker", *extra],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    server = Server(f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for _ in range(300):
                try:
                    if (await probe.get(f"{server.base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        yield server
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        server.output = output.decode()


async def _dispatched_link(
    base: str, seller: SellerContext, customer_id: str, **headers: str
) -> str:
    async with httpx.AsyncClient(
        base_url=base, headers={**seller.headers, **headers}, timeout=10
    ) as http:
        created = await http.post("/api/v0/invoice", json=invoice_body(customer_id))
        assert created.status_code == 200, created.text
        invoice_id = created.json()["payload"]["invoiceId"]
        dispatched = await http.post(
            "/api/v0/invoice/bulk/dispatch", json={"invoiceIds": [invoice_id]}
        )
        assert dispatched.status_code == 200, dispatched.text
        link: str = dispatched.json()["payload"]["results"][0]["paymentLink"]
        shown = (await http.get(f"/api/v0/invoice/{invoice_id}")).json()["payload"]
        assert shown["paymentLink"] == link
        return link


async def test_links_point_at_the_port_the_server_runs_on(
    database: Database, seller: SellerContext, tmp_path: Path
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    async with khata_serve(database, tmp_path) as server:
        base = server.base
        assert not base.endswith(":8000")
        assert (await _dispatched_link(base, seller, customer_id)).startswith(f"{base}/pay/")
        # Forwarded headers mean nothing unless the operator trusts a proxy.
        forwarded = await _dispatched_link(base, seller, customer_id, **FORWARDED)
        assert forwarded.startswith(f"{base}/pay/"), forwarded

        async with httpx.AsyncClient(base_url=base, headers=seller.headers, timeout=30) as http:
            rows = [invoice_row("LINK-1", customer_id), invoice_row("LINK-2", "KCNOSUCHCUSTOMER")]
            upload = await http.post(
                "/api/v0/invoice/bulk/create",
                files={"file": ("links.csv", csv_bytes(rows), "text/csv")},
            )
            assert upload.status_code == 200, upload.text
            summary = upload.json()["payload"]
            files = {}
            for name in ("success_file_url", "failure_file_url"):
                url = summary[name]
                assert url.startswith(f"{base}/"), url
                # The link works as given: the client follows it with its token.
                download = await http.get(url)
                assert download.status_code == 200, (name, download.text)
                files[name] = download.content
    assert b"LINK-1" in files["success_file_url"]
    assert b"LINK-2" in files["failure_file_url"]
    assert "KHATA_PUBLIC_BASE_URL is not set" in server.output


async def test_forwarded_headers_count_with_proxy_headers_on(
    database: Database, seller: SellerContext, tmp_path: Path
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    async with khata_serve(database, tmp_path, "--proxy-headers") as server:
        link = await _dispatched_link(server.base, seller, customer_id, **FORWARDED)
        assert link.startswith("https://ar.example.in/pay/"), link
        plain = await _dispatched_link(server.base, seller, customer_id)
        assert plain.startswith(f"{server.base}/pay/"), plain


async def test_the_configured_public_base_url_wins(
    database: Database, seller: SellerContext, tmp_path: Path
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    settings = Settings(
        database_url=database.url,
        report_dir=str(tmp_path),
        public_base_url="https://pay.example.in/khata/",
        proxy_headers=True,
    )
    app = create_app(settings, engine=database.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:9000", headers=seller.headers
    ) as http:
        created = await http.post("/api/v0/invoice", json=invoice_body(customer_id))
        invoice_id = created.json()["payload"]["invoiceId"]
        dispatched = await http.post(
            "/api/v0/invoice/bulk/dispatch", json={"invoiceIds": [invoice_id]}, headers=FORWARDED
        )
    link = dispatched.json()["payload"]["results"][0]["paymentLink"]
    assert link.startswith("https://pay.example.in/khata/pay/"), link
