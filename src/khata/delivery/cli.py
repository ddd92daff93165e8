"""What `khata worker` runs: passes of the delivery worker, with the reminder scheduler given."""

import asyncio
import logging
import signal
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
    WebhookSender,
    advancing_from,
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
        f"retrying: {result.failed}, dead: {result.dead}, cancelled: {result.cancelled}, "
        f"released: {result.released}, lost: {result.lost}"
    )
    hooks = result.webhooks
    if hooks is not None:
        console.print(
            f"webhooks claimed: {hooks.claimed}, delivered: {hooks.sent}, "
            f"retrying: {hooks.failed}, dead: {hooks.dead}, cancelled: {hooks.cancelled}, "
            f"released: {hooks.released}, lost: {hooks.lost}"
        )
    for error in [*result.errors, *(hooks.errors if hooks else [])][:20]:
        console.print(f"[yellow]{error}[/yellow]")


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM (and Ctrl-C) stop claiming: sends in flight finish and are recorded, the other
    claims are given back, and the command exits 0."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


def run_worker(
    *,
    once: bool,
    now: str | None,
    interval: float,
    batch_size: int,
    schedule: ReminderScheduler,
    attach: DocumentLoader,
    webhooks: WebhookSender | None = None,
) -> None:
    """`khata worker`: one pass (`once`) or passes every `interval` seconds until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The PDF font subsetter logs a few dozen INFO lines per document.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    fixed = _parse_now(now, settings.default_time_zone) if now else None

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        # With --now, time starts there and moves on: leases and send times stay real.
        clock = advancing_from(fixed) if fixed else utc_now
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        try:
            if once:
                _report(
                    await run_pass(
                        factory,
                        settings,
                        clock(),
                        schedule=schedule,
                        attach=attach,
                        batch_size=batch_size,
                        clock=clock,
                        stop=stop,
                        webhooks=webhooks,
                    )
                )
            else:
                await run_forever(
                    factory,
                    settings,
                    schedule=schedule,
                    attach=attach,
                    interval=interval,
                    clock=clock,
                    batch_size=batch_size,
                    stop=stop,
                    webhooks=webhooks,
                )
        finally:
            await engine.dispose()

    asyncio.run(main())
    console.print("worker stopped")
