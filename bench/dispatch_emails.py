"""Dispatch e-mails with tax invoice PDFs: messages/s of one worker pass to a local SMTP server.

Creates a scratch database (PostgreSQL by default, or a SQLite file), a seller with its full
profile (address, UPI id, bank account, so every PDF carries a UPI QR), N customers with one
e-mail contact each and N invoices, dispatches them through invoice.service.dispatch_invoices
(N queued DISPATCH e-mails), then times one `run_pass` of the delivery worker with the document
loader `khata worker` gives it: claim, read the documents, render each PDF, send over SMTP,
record. The SMTP server (aiosmtpd) runs in its own process, so its parsing does not share the
worker's CPU; it counts the messages that arrive with a PDF attachment. Prints messages/s
(target >= 50; the worker renders PDFs in a process of its own, bench/pdf_render.py times one
render), and exits 1 if a message is missing its PDF or the target is missed.

    .venv/bin/python bench/dispatch_emails.py [--messages 500] [--database sqlite]
"""

import argparse
import asyncio
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader
from scratch import create_database, drop_database, free_port
from sqlalchemy import select

from khata import migrate
from khata.auth import service as auth_service
from khata.auth.service import Caller
from khata.config import Settings
from khata.db import create_engine, create_session_factory
from khata.delivery import worker as worker_module
from khata.invoice import service as invoice_service
from khata.invoice.document import load_tax_invoices
from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer, Invoice, KeyContact, Principal, Seller
from khata.seller import service as seller_service

TARGET_PER_SECOND = 50.0
NOW = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)

# The SMTP server's process: one line per message (has a PDF, size), the first message kept.
SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
port, first_path = int(sys.argv[1]), sys.argv[2]
class Handler:
    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        if not hasattr(self, "kept"):
            self.kept = True
            open(first_path, "wb").write(data)
        pdf = b"Content-Type: application/pdf" in data
        print(f"mail {int(pdf)} {len(data)}", flush=True)
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    controller.stop()
"""


def _rows(seller_id: str, count: int) -> list[object]:
    """`count` customers (half in another state: IGST) with one e-mail contact and one
    CREATED invoice each, amounts varying."""
    rows: list[object] = []
    for index in range(count):
        customer_id = new_customer_id()
        state = "29" if index % 2 else "27"
        rows.append(
            Customer(
                seller_id=seller_id,
                id=customer_id,
                legal_name=f"Buyer {index} Traders Pvt Ltd",
                address=f"{index} Industrial Area, Phase {index % 4 + 1}",
                pin_code="560058",
                state=state,
                status="ACTIVE",
                deleted=False,
                version=1,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        rows.append(
            KeyContact(
                seller_id=seller_id,
                id=new_object_id(),
                customer_id=customer_id,
                name=f"Buyer {index}",
                email=f"accounts{index}@buyer.example",
                mail_enabled=True,
                sms_enabled=False,
                whatsapp_enabled=False,
                deleted=False,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        rows.append(_invoice(seller_id, customer_id, index, intra_state=state == "29"))
    return rows


def _invoice(seller_id: str, customer_id: str, index: int, *, intra_state: bool) -> Invoice:
    base = 1_000_00 + index * 1_737  # paise
    tax = base * 18 // 100
    half = tax // 2
    cgst, sgst, igst = (half, tax - half, 0) if intra_state else (0, 0, tax)
    return Invoice(
        seller_id=seller_id,
        id=new_object_id(),
        entity_id=index + 1,
        invoice_number=f"BENCH/2026-27/{index + 1:05d}",
        customer_id=customer_id,
        invoice_date=date(2026, 11, 20),
        due_date=date(2026, 12, 20),
        description=f"Machined parts, lot {index}",
        base_amount=base,
        cgst=cgst,
        sgst=sgst,
        igst=igst,
        tds=0,
        gst_exclusive=True,
        net_amount=base + tax,
        total_received=0,
        balance_amount=base + tax,
        partial_payment_allowed=True,
        receivable_status="CREATED",
        approval_status="APPROVED",
        dispatched=False,
        via="API",
        meta_fields=[],
        deleted=False,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )


async def seed(url: str, count: int, settings: Settings) -> None:
    """The seller with its profile, the customers and invoices, and the dispatch (queued
    e-mails), through the same service the dispatch endpoint calls."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        new = await seller_service.create_seller(
            session, name="Bench Engineering Pvt Ltd", state="29", gstin=None, now=NOW
        )
        _, token = await auth_service.create_api_key(
            session, seller_id=new.seller_id, name="bench", now=NOW
        )
        seller = await session.get(Seller, new.seller_id)
        assert seller is not None
        seller.address = "Plot 7, KIADB Industrial Area, Peenya, Bengaluru 560058"
        seller.upi_id = "bench.engineering@okhdfcbank"
        seller.bank_account_number, seller.bank_ifsc = "50200099887766", "HDFC0000458"
        seller.bank_name, seller.authorised_signatory = "HDFC Bank, Peenya", "R. Iyer"
        session.add_all(_rows(seller.id, count))
        await session.flush()
        principal = await session.get(Principal, (seller.id, token.principal_id))
        assert principal is not None
        ids = list(await session.scalars(select(Invoice.id).where(Invoice.seller_id == seller.id)))
        results = await invoice_service.dispatch_invoices(
            session,
            caller=Caller(seller=seller, principal=principal),
            invoice_ids=ids,
            partial_payment_allowed=True,
            now=NOW,
            settings=settings,
        )
        assert all(result.ok for result in results), [r.message for r in results if not r.ok]
    await engine.dispose()


def start_smtp_server(port: int, first_path: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SERVER, str(port), str(first_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() != "ready":
        raise RuntimeError("the SMTP server did not start")
    return server


def stop_smtp_server(server: subprocess.Popen[str]) -> list[tuple[bool, int]]:
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=30)
    return [
        (flag == "1", int(size))
        for _, flag, size in (line.split() for line in out.splitlines() if line.startswith("mail"))
    ]


async def run_worker(url: str, settings: Settings, *, pdf: bool) -> worker_module.PassResult:
    engine = create_engine(url)
    try:
        return await worker_module.run_pass(
            create_session_factory(engine),
            settings,
            NOW,
            schedule=None,
            attach=load_tax_invoices if pdf else None,
        )
    finally:
        await engine.dispose()


def report(
    count: int, elapsed: float, result: worker_module.PassResult, received: list[tuple[bool, int]]
) -> bool:
    rate = result.sent / elapsed
    with_pdf = sum(1 for has_pdf, _ in received if has_pdf)
    print(f"worker pass: {result.sent} sent, {result.failed} retrying, {result.dead} dead")
    print(f"SMTP server received {len(received)} messages, {with_pdf} with a PDF attachment")
    if received:
        mean_kb = statistics.fmean(size for _, size in received) / 1024
        print(f"mean message size {mean_kb:.1f} KB")
    print(f"{count} dispatch e-mails in {elapsed:.2f} s: {rate:.1f} messages/s", end=" ")
    verdict = "ok" if rate >= TARGET_PER_SECOND else "MISSED"
    print(f"(target >= {TARGET_PER_SECOND:.0f}/s: {verdict})")
    return rate >= TARGET_PER_SECOND and with_pdf == count == result.sent


def check_first_pdf(path: Path) -> None:
    """The first message's PDF, read back: an invoice number and the amount due."""
    import email
    import email.policy
    from email.message import EmailMessage

    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    [part] = list(message.iter_attachments())
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(payload)).pages)
    assert "BENCH/2026-27/" in pdf_text and "Pay with UPI" in pdf_text, pdf_text[:400]
    print(f"first message: {message['Subject']} + {part.get_filename()} ({len(payload)} bytes)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--without-pdf", action="store_true", help="Baseline: the same e-mails, no attachment."
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="khata-bench-mail-"))
    if args.database == "postgresql":
        url = asyncio.run(create_database())
    else:
        url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    port = free_port()
    settings = Settings(
        database_url=url,
        public_base_url="http://127.0.0.1:8000",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="Khata Billing <billing@khata.bench>",
    )
    server = None
    try:
        migrate.upgrade(url)
        asyncio.run(seed(url, args.messages, settings))
        load = os.getloadavg()[0]
        print(f"{args.database}, {args.messages} dispatch e-mails queued")
        print(f"load average {load:.2f} on {os.cpu_count()} cores")
        server = start_smtp_server(port, work / "first.eml")
        started = time.perf_counter()
        result = asyncio.run(run_worker(url, settings, pdf=not args.without_pdf))
        elapsed = time.perf_counter() - started
        received = stop_smtp_server(server)
        server = None
        if args.without_pdf:
            print(f"baseline without PDFs: {result.sent / elapsed:.1f} messages/s")
            return 0
        ok = report(args.messages, elapsed, result, received)
        # The worker renders in a process of its own: bench/pdf_render.py times one render.
        check_first_pdf(work / "first.eml")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.kill()
        if args.database == "postgresql":
            asyncio.run(drop_database(url))


if __name__ == "__main__":
    sys.exit(main())
