"""HTTP of the console's bulk upload: choose a file, watch the job run (a page that refreshes
itself, no script), then its summary and the two report files. The import is the API's bulk
engine (InvoiceImport, CustomerCreateImport, CustomerUpdateImport) run in the background, each
batch committed on its own, so the job page sees its counts grow."""

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.auth.service import Caller
from khata.bulk import jobs, repository
from khata.bulk.customer_rows import CREATE_FIELDS
from khata.bulk.customer_service import CustomerCreateImport, CustomerUpdateImport
from khata.bulk.endpoints import job_lock_for, limits_of, liveness_of, stage_file
from khata.bulk.engine import committing_scope
from khata.bulk.files import StagedFile, discard
from khata.bulk.invoice_rows import INVOICE_FIELDS, ITEM_FIELDS
from khata.bulk.reports import REPORTS
from khata.bulk.service import InvoiceImport
from khata.bulk.wire import CONTENT_TYPES, template
from khata.config import Settings
from khata.console.web import (
    Console,
    ConsolePostApart,
    ConsoleRoute,
    PageNotFound,
    page,
    redirect,
    secured,
)
from khata.invoice.rows import Author
from khata.kit.errors import KhataError
from khata.kit.ids import new_object_id
from khata.kit.timeutil import utc_now
from khata.web.answers import download
from khata.web.deps import AppSettings, Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
KINDS = {
    "invoices": "Invoices (create)",
    "customers": "Customers (create)",
    "customer-updates": "Customers (update)",
}
# Imports outlive their request: held here so the event loop keeps them to the end.
_IMPORTS: set["asyncio.Task[Any]"] = set()


def _importer(
    kind: str,
    *,
    request: Request,
    staged: StagedFile,
    caller: Caller,
    now: Any,
    settings: Settings,
    job_id: str,
) -> InvoiceImport | CustomerCreateImport | CustomerUpdateImport:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    common: dict[str, Any] = {
        "staged": staged,
        "now": now,
        "limits": limits_of(settings),
        "batch_scope": committing_scope(factory),
        "lock": job_lock_for(request),
        "job_id": job_id,
    }
    if kind == "invoices":
        principal = caller.principal
        return InvoiceImport(
            seller=caller.seller,
            actor=Author(id=principal.id, name=principal.name, type=principal.type),
            public_base_url=settings.links_base_url,
            **common,
        )
    job_class = CustomerCreateImport if kind == "customers" else CustomerUpdateImport
    return job_class(caller=caller, **common)


async def _under_way(
    factory: async_sessionmaker[AsyncSession],
    seller_id: str,
    job_id: str,
    task: "asyncio.Task[Any]",
) -> None:
    """Until the job's row is there for its page to show (it is written before the first
    batch), or the import ended (e.g. a file refused whole, which writes no job)."""
    while not task.done():
        async with factory() as session:
            if await repository.get_job(session, seller_id=seller_id, job_id=job_id) is not None:
                return
        await asyncio.wait([task], timeout=0.05)


async def _recent(session: Session, caller: Caller, settings: Settings) -> list[Any]:
    found, _ = await jobs.list_jobs(
        session,
        seller_id=caller.seller_id,
        limit=20,
        offset=0,
        now=utc_now(),  # liveness is about real time, whatever the business clock says
        liveness=liveness_of(settings),
    )
    return found


@router.get("/console/bulk")
async def bulk_page(
    request: Request, session: Session, settings: AppSettings, console: Console
) -> Response:
    recent = await _recent(session, console.caller, settings)
    return page(request, "bulk.html.j2", nav="bulk", kinds=KINDS, recent=recent, problem="")


@router.post("/console/bulk")
async def upload(
    request: Request,
    now: Now,
    settings: AppSettings,
    console: ConsolePostApart,
    kind: Annotated[str, Form()] = "invoices",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Start the import and answer its job page once the job is under way (or the file's
    whole-file problem, e.g. a missing column, on the upload page)."""
    if kind not in KINDS:
        raise PageNotFound()
    try:
        staged = await stage_file(request, file, settings)
    except KhataError as exc:
        return await _refused(request, console.caller, settings, exc)
    job_id = new_object_id(now.timestamp())
    importer = _importer(
        kind,
        request=request,
        staged=staged,
        caller=console.caller,
        now=now,
        settings=settings,
        job_id=job_id,
    )

    async def run() -> None:
        try:
            await importer.run()
        finally:
            discard(staged)

    task = asyncio.create_task(run())
    _IMPORTS.add(task)
    task.add_done_callback(_IMPORTS.discard)
    await _under_way(request.app.state.session_factory, console.caller.seller_id, job_id, task)
    if task.done() and isinstance(task.exception(), KhataError):
        problem = task.exception()
        assert isinstance(problem, KhataError)
        return await _refused(request, console.caller, settings, problem)
    return redirect(request, f"/console/bulk/{job_id}")


async def _refused(
    request: Request, caller: Caller, settings: Settings, problem: KhataError
) -> Response:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        recent = await _recent(session, caller, settings)
    return page(
        request,
        "bulk.html.j2",
        nav="bulk",
        status=problem.status,
        kinds=KINDS,
        recent=recent,
        problem=problem.message,
    )


@router.get("/console/bulk/{job_id}")
async def job_page(
    job_id: str, request: Request, session: Session, settings: AppSettings, console: Console
) -> Response:
    job = await jobs.read_job(
        session,
        seller_id=console.caller.seller_id,
        job_id=job_id,
        now=utc_now(),
        liveness=liveness_of(settings),
    )
    if job is None:
        raise PageNotFound()
    files = {kind: await jobs.has_report(session, job, kind) for kind in ("success", "failure")}
    return page(request, "bulk_job.html.j2", nav="bulk", job=job, files=files, kinds=KINDS)


@router.get("/console/bulk/{job_id}/files/{kind}")
async def report_file(
    job_id: str, kind: str, request: Request, session: Session, console: Console
) -> Response:
    """The API's report download: streamed from the database."""
    job = await repository.get_job(session, seller_id=console.caller.seller_id, job_id=job_id)
    if job is None or kind not in REPORTS or not await jobs.has_report(session, job, kind):
        raise PageNotFound()
    stem = Path(job.file_name).stem or "bulk"
    file_name = f"{stem}_{kind}.{job.file_format}".replace('"', "")
    return secured(
        StreamingResponse(
            jobs.report_file(request.app.state.session_factory, job, kind),
            media_type=CONTENT_TYPES[job.file_format],
            headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
        )
    )


@router.get("/console/bulk/template/{name}")
async def template_file(name: str, console: Console) -> Response:
    """The API's empty files to fill in, as CSV: invoices.csv or customers.csv."""
    if name == "invoices.csv":
        body = template("csv", list(INVOICE_FIELDS), list(ITEM_FIELDS))
    elif name == "customers.csv":
        body = template("csv", list(CREATE_FIELDS))
    else:
        raise PageNotFound()
    return secured(download(body, media_type=CONTENT_TYPES["csv"], file_name=f"{name}"))
