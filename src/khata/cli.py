"""The `khata` command: serve, migrate, seller and token management."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from khata import migrate as migrations
from khata.auth import service as auth_service
from khata.bulk.cli import import_app
from khata.bulk.jobs import Liveness, recover_at_start
from khata.config import DEFAULT_PUBLIC_BASE_URL, Settings, get_settings
from khata.db import create_engine, create_session_factory, unit_of_work
from khata.delivery import cli as delivery_cli
from khata.delivery import worker as worker_module
from khata.invoice.document import load_tax_invoices
from khata.kit.errors import KhataError
from khata.kit.timeutil import utc_now
from khata.reminder.scheduler import schedule_due_work
from khata.seller import service as seller_service
from khata.seller.schemas import profile_fields
from khata.web.logs import configure_logging, log_config
from khata.webhook.sender import send_webhooks

app = typer.Typer(
    help="khata: accounts receivable for Indian B2B sellers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
seller_app = typer.Typer(help="Manage sellers (tenants).", no_args_is_help=True)
token_app = typer.Typer(help="Manage API keys for integrations.", no_args_is_help=True)
app.add_typer(seller_app, name="seller")
app.add_typer(token_app, name="token")
app.add_typer(import_app, name="import")

console = Console()
T = TypeVar("T")


def run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one unit of work against the configured database (migrated first)."""
    database_url = get_settings().database_url
    migrations.upgrade(database_url)

    async def runner() -> T:
        engine = create_engine(database_url)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)


@app.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head) and exit."""
    migrations.upgrade(get_settings().database_url)
    console.print("database is at the latest migration")


def _print_seller(new: seller_service.NewSeller, base_url: str) -> None:
    # Plain print: credentials must never be wrapped or styled, people copy them.
    print(f"seller id:      {new.seller_id}")
    print(f"admin login:    {new.admin_email} / {new.admin_password}")
    print(f"OAuth client:   {new.client_id} / {new.client_secret}")
    print("get a token:")
    print(
        f"  curl -s -u '{new.client_id}:{new.client_secret}' {base_url}/oauth/token "
        f"-d grant_type=password -d 'username={new.admin_email}' "
        f"-d 'password={new.admin_password}'"
    )


def start_up(settings: Settings, *, seed: bool) -> seller_service.NewSeller | None:
    """What every `khata serve` and `khata worker` does first: migrate, close the bulk jobs
    and uploads of processes that died, and (serve) make a demo seller on an empty database."""
    migrations.upgrade(settings.database_url)

    async def run() -> seller_service.NewSeller | None:
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        try:
            demo = None
            if seed:
                from khata.demo import ensure_demo_seller  # builds the app: only when serving

                async with unit_of_work(factory) as session:
                    demo = await ensure_demo_seller(session)
            closed, removed = await recover_at_start(
                factory,
                liveness=Liveness(stale_seconds=settings.bulk_stale_seconds),
                upload_dir=settings.upload_dir,
            )
        finally:
            await engine.dispose()
        if closed or removed:
            console.print(
                f"closed {closed} bulk job(s) whose process had died as FAILED; "
                f"deleted {removed} upload file(s) they left"
            )
        return demo

    return asyncio.run(run())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(help="Number of server processes.")] = 1,
    worker: Annotated[
        bool, typer.Option(help="On SQLite, also send messages and reminders in-process.")
    ] = True,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers",
            help="Behind a reverse proxy: trust X-Forwarded-Proto/-Host/-For for links.",
        ),
    ] = False,
) -> None:
    """Apply migrations, create a demo seller on an empty database, and serve HTTP."""
    import os

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from khata.delivery.worker import EMBEDDED_WORKER_ENV

    # Read in the uvicorn process, where the app is built by factory.
    os.environ[EMBEDDED_WORKER_ENV] = "1" if worker else "0"
    if proxy_headers:  # before the settings are first read (and cached) in this process
        os.environ["KHATA_PROXY_HEADERS"] = "true"
    settings = get_settings()
    proxy_headers = settings.proxy_headers
    served_at = f"http://{host}:{port}"
    if settings.public_base_url is None and served_at != DEFAULT_PUBLIC_BASE_URL:
        console.print(
            f"[yellow]warning:[/yellow] KHATA_PUBLIC_BASE_URL is not set: answers link to the "
            f"address each request used, but e-mails and `khata import` link to "
            f"{DEFAULT_PUBLIC_BASE_URL}, not {served_at}"
        )

    demo = start_up(settings, seed=True)
    if demo is not None:
        console.print("[green]empty database: created a demo seller[/green]")
        _print_seller(demo, f"http://{host}:{port}")
    uvicorn.run(
        "khata.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        access_log=settings.access_log,
        # SIGTERM: stop taking connections, let requests in flight finish for this long, then
        # cancel them (a bulk import then closes its job as FAILED with its true counts).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        log_config=log_config(settings) or LOGGING_CONFIG,
    )


@seller_app.command("create")
def seller_create(
    name: Annotated[str, typer.Option(help="Legal name of the seller.")],
    state: Annotated[str, typer.Option(help="GST state code or name, e.g. 29 or Karnataka.")],
    gstin: Annotated[str | None, typer.Option(help="The seller's GSTIN.")] = None,
    email: Annotated[str | None, typer.Option(help="Admin login email.")] = None,
    prefix: Annotated[str, typer.Option(help="Invoice number prefix.")] = "INV-",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a seller with an admin login and OAuth client credentials."""

    async def work(session: AsyncSession) -> seller_service.NewSeller:
        return await seller_service.create_seller(
            session,
            name=name,
            state=state,
            gstin=gstin,
            admin_email=email,
            invoice_prefix=prefix,
            now=utc_now(),
        )

    try:
        new = run_in_transaction(work)
    except KhataError as exc:
        _fail(exc.message)
        return
    if as_json:
        print(
            json.dumps(
                {
                    "sellerId": new.seller_id,
                    "adminEmail": new.admin_email,
                    "adminPassword": new.admin_password,
                    "clientId": new.client_id,
                    "clientSecret": new.client_secret,
                }
            )
        )
    else:
        _print_seller(new, get_settings().links_base_url)


_CLEARS = 'An empty value ("") clears it.'


@seller_app.command("update")
def seller_update(
    seller: Annotated[str, typer.Option(help="Seller id (CEK...).")],
    address: Annotated[
        str | None, typer.Option(help=f"Registered address, one line. {_CLEARS}")
    ] = None,
    upi_id: Annotated[
        str | None, typer.Option(help=f"UPI id (VPA), e.g. traders@okhdfcbank. {_CLEARS}")
    ] = None,
    bank_account_name: Annotated[str | None, typer.Option(help="Name on the account.")] = None,
    bank_account_number: Annotated[str | None, typer.Option(help="Account number.")] = None,
    bank_ifsc: Annotated[str | None, typer.Option(help="IFSC of the branch.")] = None,
    bank_name: Annotated[str | None, typer.Option(help="Name of the bank.")] = None,
    no_bank_account: Annotated[
        bool, typer.Option("--no-bank-account", help="Remove the bank account.")
    ] = False,
    authorised_signatory: Annotated[
        str | None, typer.Option(help=f"Who signs the tax invoices. {_CLEARS}")
    ] = None,
    invoice_footer: Annotated[
        str | None, typer.Option(help=f"A note printed on every invoice. {_CLEARS}")
    ] = None,
) -> None:
    """Change the seller's profile (what tax invoices and the payment page show), audited;
    options not given stay as they are. Prints the profile as JSON."""
    fields = {
        "address": address,
        "upiId": upi_id,
        "authorisedSignatory": authorised_signatory,
        "invoiceFooter": invoice_footer,
    }
    bank = {
        "accountName": bank_account_name,
        "accountNumber": bank_account_number,
        "ifsc": bank_ifsc,
        "bankName": bank_name,
    }

    async def work(session: AsyncSession) -> dict[str, Any]:
        updated = await seller_service.update_seller_from_shell(
            session,
            seller_id=seller,
            fields={k: v for k, v in fields.items() if v is not None},
            bank={k: v for k, v in bank.items() if v is not None},
            clear_bank=no_bank_account,
            now=utc_now(),
        )
        return {"sellerId": updated.id, **profile_fields(updated)}

    try:
        profile = run_in_transaction(work)
    except KhataError as exc:
        _fail(exc.message)
        return
    print(json.dumps(profile, indent=2, ensure_ascii=False))


@token_app.command("create")
def token_create(
    seller: Annotated[str, typer.Option(help="Seller id (CEK...).")],
    name: Annotated[str, typer.Option(help="Name of the integration using the key.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a long-lived API key for an integration; it is printed only once."""

    async def work(session: AsyncSession) -> str:
        key, _row = await auth_service.create_api_key(
            session, seller_id=seller, name=name, now=utc_now()
        )
        return key

    try:
        key = run_in_transaction(work)
    except KhataError as exc:
        _fail(exc.message)
        return
    if as_json:
        print(json.dumps({"token": key}))
    else:
        console.print("API key (shown once, keep it safe):")
        print(key)


@token_app.command("revoke")
def token_revoke(token: Annotated[str, typer.Argument(help="The token or API key.")]) -> None:
    """Revoke an access token, refresh token or API key."""

    async def work(session: AsyncSession) -> bool:
        return await auth_service.revoke_token(session, token=token, now=utc_now())

    if not run_in_transaction(work):
        _fail("no such active token")
    console.print("revoked")


@app.command()
def demo() -> None:
    """Create a demo seller with customers, orders, invoices, a dispatch and a payment."""
    from khata.demo import seed_demo

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    result = asyncio.run(seed_demo(settings))
    _print_seller(result.seller, settings.links_base_url)
    print(f"API key:        {result.api_key}")
    print(
        f"made {len(result.customer_ids)} customers, {len(result.order_ids)} orders and "
        f"{len(result.invoice_ids)} invoices (dispatched; one with a payment awaiting confirmation)"
    )


@app.command("worker")
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run one pass (reminders, then sending) and exit.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            help=(
                "Pretend it is this moment, e.g. 2026-12-01T09:00. Without a zone it is read "
                "in KHATA_DEFAULT_TIME_ZONE (Asia/Kolkata). Meant with --once."
            )
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between passes when running continuously.")
    ] = 30.0,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help=(
                "Messages claimed per transaction. Smaller batches spread the queue more "
                "evenly over several workers."
            ),
        ),
    ] = worker_module.BATCH_SIZE,
) -> None:
    """Send due deliveries (email, SMS, WhatsApp) and queue due payment reminders.

    Any number of workers may run against one PostgreSQL database; each message is claimed by
    exactly one of them.
    """
    configure_logging(get_settings())
    start_up(get_settings(), seed=False)
    delivery_cli.run_worker(
        once=once,
        now=now,
        interval=interval,
        batch_size=batch_size,
        schedule=schedule_due_work,
        attach=load_tax_invoices,
        webhooks=send_webhooks,
    )


if __name__ == "__main__":
    app()
