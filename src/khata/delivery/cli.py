"""The `khata worker` command: send queued messages and scheduled reminders."""

import asyncio
import logging
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from khata import migrate as migrations
from khata.config import get_settings
from khata.db import create_engine, create_session_factory
from khata.delivery.worker import BATCH_SIZE, PassResult, run_forever, run_pass
from khata.kit.timeutil import utc_now

console = Console()


def _parse_now(value: str, time_zone: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO date-time: {value}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(time_zone))


def _report(result: PassResult) -> None:
    console.print(
        f"reminders queued: {result.reminders_queued}, claimed: {result.claimed}, "
        f"sent: {result.sent}, "
        f"retrying: {result.failed}, dead: {result.dead}, cancelled: {result.cancelled}"
    )
    for error in result.errors[:20]:
        console.print(f"[yellow]{error}[/yellow]")


def worker_command(
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
    ] = BATCH_SIZE,
) -> None:
    """Send due deliveries (email, SMS, WhatsApp) and queue due payment reminders.

    Any number of workers may run against one PostgreSQL database; each message is claimed by
    exactly one of them.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    fixed = _parse_now(now, settings.default_time_zone) if now else None

    async def main() -> None:
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        try:
            if once:
                _report(
                    await run_pass(factory, settings, fixed or utc_now(), batch_size=batch_size)
                )
            else:
                clock = (lambda: fixed) if fixed else utc_now
                await run_forever(
                    factory, settings, interval=interval, clock=clock, batch_size=batch_size
                )
        finally:
            await engine.dispose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        console.print("worker stopped")
