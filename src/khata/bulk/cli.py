"""`khata import`: run the bulk engine on a local file, with a progress bar and a summary."""

import asyncio
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from khata import migrate as migrations
from khata.auth.service import Caller
from khata.bulk.credit_rows import CreditNoteImport
from khata.bulk.customer_service import CustomerCreateImport
from khata.bulk.engine import JobSummary, committing_scope
from khata.bulk.files import Limits, stage_local
from khata.bulk.jobs import export_reports
from khata.bulk.repository import job_lock
from khata.bulk.service import InvoiceImport
from khata.config import get_settings
from khata.db import create_engine, create_session_factory
from khata.invoice.rows import Author
from khata.kit.errors import KhataError
from khata.kit.money import from_paise
from khata.kit.timeutil import utc_now
from khata.models import Principal, Seller
from khata.models.principal import PrincipalType

import_app = typer.Typer(help="Import invoices, customers or credit notes from a CSV/XLSX file.")
# Kinds of file whose rows go through a service acting for the seller (the shell's principal).
_BY_CALLER: dict[str, type[CustomerCreateImport] | type[CreditNoteImport]] = {
    "customers": CustomerCreateImport,
    "credit-notes": CreditNoteImport,
}
console = Console()

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX.")]
SellerOption = Annotated[str, typer.Option("--seller", help="Seller id (CEK...).")]
ReportDirOption = Annotated[
    Path | None, typer.Option("--report-dir", help="Where the report files go.")
]
CLI_ACTOR = Author(id=None, name="khata import", type=PrincipalType.API.value)


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="cyan")


def _run(kind: str, file: Path, seller_id: str, report_dir: Path) -> tuple[JobSummary, Path]:
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    limits = Limits(max_bytes=settings.bulk_max_bytes, max_rows=settings.bulk_max_rows)

    async def work(progress: Progress) -> tuple[JobSummary, Path]:
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        task = progress.add_task("rows", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            async with factory() as session:
                seller = await session.get(Seller, seller_id)
            if seller is None:
                raise KhataError(f"Seller not found: {seller_id}")
            staged = stage_local(file, limits=limits)
            lock = partial(job_lock, engine)
            if kind in _BY_CALLER:
                summary = await _BY_CALLER[kind](
                    staged=staged,
                    caller=_cli_caller(seller),
                    now=utc_now(),
                    limits=limits,
                    batch_scope=committing_scope(factory),
                    progress=advance,
                    lock=lock,
                ).run()
            else:
                summary = await InvoiceImport(
                    staged=staged,
                    seller=seller,
                    actor=CLI_ACTOR,
                    now=utc_now(),
                    public_base_url=settings.links_base_url,
                    limits=limits,
                    batch_scope=committing_scope(factory),
                    progress=advance,
                    lock=lock,
                ).run()
            folder = await export_reports(
                factory, seller_id=seller_id, job_id=summary.job_id, directory=report_dir
            )
            return summary, folder or report_dir
        finally:
            await engine.dispose()

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        return asyncio.run(work(progress))


def _cli_caller(seller: Seller) -> Caller:
    """The shell acts for the seller as an unsaved principal: its name goes on the audit."""
    principal = Principal(
        seller_id=seller.id, id=None, type=CLI_ACTOR.type, name=CLI_ACTOR.name, active=True
    )
    return Caller(seller=seller, principal=principal)


def summary_lines(kind: str, summary: JobSummary) -> list[tuple[str, str]]:
    """The summary's lines for this kind of file: a customer file has no items sheet and no
    amounts, so it does not print lines that could only ever say 0."""
    lines = [
        ("total rows", str(summary.total_count)),
        ("saved", str(summary.success_count)),
        ("failed", str(summary.failure_count)),
    ]
    if kind == "invoices":
        lines.append(("failed (items sheet)", str(summary.failure_count_second_file)))
    lines.append(("with warnings", str(summary.warn_count)))
    if kind in ("invoices", "credit-notes"):
        lines.append(("total amount", f"{from_paise(summary.total_amount):,}"))
    return lines


def _print_summary(kind: str, summary: JobSummary, folder: Path) -> None:
    table = Table(title=f"bulk job {summary.job_id}", show_header=False)
    for label, value in summary_lines(kind, summary):
        table.add_row(label, value)
    console.print(table)
    console.print(f"reports: {folder}")


def _command(kind: str, file: Path, seller: str, report_dir: Path | None) -> None:
    try:
        summary, folder = _run(kind, file, seller, report_dir or Path(get_settings().report_dir))
    except KhataError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=1) from exc
    _print_summary(kind, summary, folder)
    if summary.failure_count or summary.failure_count_second_file:
        raise typer.Exit(code=2)


@import_app.command("invoices")
def import_invoices(
    file: FileArgument, seller: SellerOption, report_dir: ReportDirOption = None
) -> None:
    """Create invoices from a CSV/XLSX file (same rules and reports as the HTTP upload)."""
    _command("invoices", file, seller, report_dir)


@import_app.command("customers")
def import_customers(
    file: FileArgument, seller: SellerOption, report_dir: ReportDirOption = None
) -> None:
    """Create customers from a CSV/XLSX file (same rules and reports as the HTTP upload)."""
    _command("customers", file, seller, report_dir)


@import_app.command("credit-notes")
def import_credit_notes(
    file: FileArgument, seller: SellerOption, report_dir: ReportDirOption = None
) -> None:
    """Issue credit notes from a CSV/XLSX file, by invoice number (same rules and reports as
    the HTTP upload)."""
    _command("credit-notes", file, seller, report_dir)
