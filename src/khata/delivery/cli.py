"""What `khata worker` runs: passes of the delivery worker, with the reminder scheduler given."""

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from khata import migrate as migrations
from khata.config import get_settings
from khata.db import create_engine, create_session_factory
from khata.delivery.worker import (
    DocumentLoader,
    PassResult,
    ReminderScheduler,
    run_forever,
    run_pass,
)
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


def run_worker(
    *,
    once: bool,
    now: str | None,
    interval: float,
    batch_size: int,
    schedule: ReminderScheduler,
    attach: DocumentLoader,
) -> None:
    """`khata worker`: one pass (`once`) or passes every `interval` seconds until stopped."""
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
                    await run_pass(
                        factory,
                        settings,
                        fixed or utc_now(),
                        schedule=schedule,
                        attach=attach,
                        batch_size=batch_size,
                    )
                )
            else:
                clock = (lambda: fixed) if fixed else utc_now
                await run_forever(
                    factory,
                    settings,
                    schedule=schedule,
                    attach=attach,
                    interval=interval,
                    clock=clock,
                    batch_size=batch_size,
                )
        finally:
            await engine.dispose()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        console.print("worker stopped")
