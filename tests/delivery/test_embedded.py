"""`khata serve` on SQLite sends messages in-process: the app's lifespan runs the worker."""

import asyncio

import pytest

from khata.app import create_app
from khata.delivery import outbox
from khata.delivery.worker import EMBEDDED_WORKER_ENV
from khata.kit.timeutil import utc_now
from tests.delivery.factories import create_invoice, worker_settings
from tests.delivery.servers import SmtpServer
from tests.support import PINNED_TODAY, Database, SellerContext, create_customer


async def test_app_lifespan_runs_the_worker_on_sqlite_only(
    database: Database,
    seller: SellerContext,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        database, seller.seller_id, customer_id, invoice_number="INV-E1", due_date=PINNED_TODAY
    )
    recipient = f"embedded-{database.backend}@buyer.example"
    async with database.session_factory() as session, session.begin():
        await outbox.queue(
            session,
            seller_id=seller.seller_id,
            messages=[
                outbox.OutgoingMessage(
                    kind=outbox.DISPATCH,
                    channel=outbox.EMAIL,
                    recipient=recipient,
                    dedupe_key="embedded",
                    invoice_ids=[invoice.id],
                    customer_id=customer_id,
                )
            ],
            now=utc_now(),  # wall clock ok: the embedded worker sends by the real clock
        )
    monkeypatch.setenv(EMBEDDED_WORKER_ENV, "1")
    app = create_app(worker_settings(database, smtp_port=smtp_server.port), engine=database.engine)

    async with app.router.lifespan_context(app):
        running = [t for t in asyncio.all_tasks() if t.get_name() == "khata-worker"]
        for _ in range(100):
            if smtp_server.handler.to(recipient) or not running:
                break
            await asyncio.sleep(0.1)
    stopped = [t for t in asyncio.all_tasks() if t.get_name() == "khata-worker"]

    assert stopped == []
    if database.backend == "sqlite":
        assert len(running) == 1
        assert len(smtp_server.handler.to(recipient)) == 1
    else:  # PostgreSQL deployments run `khata worker` processes instead
        assert running == []
        assert smtp_server.handler.to(recipient) == []


def test_serve_offers_no_worker_and_the_worker_command_exists() -> None:
    from typer.testing import CliRunner

    from khata.cli import app as cli

    serve_help = CliRunner().invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"})
    worker_help = CliRunner().invoke(cli, ["worker", "--help"], env={"COLUMNS": "200"})

    assert serve_help.exit_code == 0
    assert "--no-worker" in serve_help.output
    assert worker_help.exit_code == 0
    assert "--once" in worker_help.output and "--now" in worker_help.output
    assert "Asia/Kolkata" in worker_help.output
