"""HTTP endpoints of bulk files: invoice and customer uploads, reports, templates, jobs."""

from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUpload

from khata.auth.deps import Caller
from khata.bulk import jobs, repository
from khata.bulk.credit_rows import CREDIT_NOTE_FIELDS, CreditNoteImport
from khata.bulk.customer_rows import CREATE_FIELDS
from khata.bulk.customer_service import CustomerCreateImport, CustomerUpdateImport
from khata.bulk.engine import BatchScope, JobLock, committing_scope, no_lock, request_scope
from khata.bulk.files import BadFile, Limits, StagedFile, discard, stage_upload, too_large_message
from khata.bulk.invoice_rows import INVOICE_FIELDS, ITEM_FIELDS
from khata.bulk.reports import REPORTS
from khata.bulk.schemas import BulkJobPage, BulkPayload
from khata.bulk.service import InvoiceImport
from khata.bulk.wire import CONTENT_TYPES, bulk_response, job_item, template
from khata.config import Settings
from khata.invoice.rows import Author
from khata.kit.envelopes import ArEnvelope
from khata.kit.errors import NotFound
from khata.kit.pagination import MAX_OFFSET
from khata.kit.timeutil import utc_now
from khata.web.answers import AR_ERRORS, ar_answer, documented, download, file_download
from khata.web.deps import AppSettings, LinkBase, Now, Session

router = APIRouter(tags=["bulk"], responses=AR_ERRORS)
_JOB = documented(ArEnvelope[BulkPayload])
MAX_PAGE = 1000
_FILE_TYPES = tuple(media.split(";")[0] for media in CONTENT_TYPES.values())

UploadField = Annotated[UploadFile | None, File(description="The CSV or XLSX file.")]
# Multipart framing around the file part: a body a little over the limit may still hold a
# file under it.
_MULTIPART_SLACK = 64 * 1024


def limits_of(settings: Settings) -> Limits:
    return Limits(max_bytes=settings.bulk_max_bytes, max_rows=settings.bulk_max_rows)


def batch_scope_for(request: Request, session: Any) -> BatchScope:
    # SQLite has one writer and the request's transaction already holds it: batches go in
    # that transaction. PostgreSQL commits each batch on its own, so a crash keeps whole ones.
    if session.get_bind().dialect.name == "sqlite":
        return request_scope(session)
    return committing_scope(request.app.state.session_factory)


def job_lock_for(request: Request) -> JobLock:
    """PostgreSQL: the job's liveness lock on a connection of its own (see bulk.repository)."""
    engine = request.app.state.engine
    if engine.dialect.name != "postgresql":
        return no_lock
    return partial(repository.job_lock, engine)


def liveness_of(settings: Settings) -> jobs.Liveness:
    return jobs.Liveness(stale_seconds=settings.bulk_stale_seconds)


async def stage_file(request: Request, file: UploadFile | None, settings: Settings) -> StagedFile:
    """The request's upload on disk, within the limits (the API's and the console's uploads)."""
    limits = limits_of(settings)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + _MULTIPART_SLACK:
        raise BadFile(too_large_message(limits.max_bytes))
    if not isinstance(file, StarletteUpload):
        raise BadFile("Multipart form field 'file' with a CSV or XLSX file is required")
    return await stage_upload(
        file, file_name=file.filename or "", limits=limits, directory=settings.upload_dir
    )


def _actor(caller: Caller) -> Author:
    principal = caller.principal
    return Author(id=principal.id, name=principal.name, type=principal.type)


@router.post(
    "/api/v0/invoice/bulk/create",
    summary="Create invoices from a CSV or XLSX file",
    responses=_JOB,
)
async def bulk_create_invoices(
    request: Request,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
    file: UploadField = None,
    sellerId: Annotated[str | None, Query()] = None,
) -> Response:
    staged = await stage_file(request, file, settings)
    try:
        summary = await InvoiceImport(
            staged=staged,
            seller=caller.seller,
            actor=_actor(caller),
            now=now,
            public_base_url=settings.links_base_url,  # e-mail links, as in API dispatch
            limits=limits_of(settings),
            batch_scope=batch_scope_for(request, session),
            lock=job_lock_for(request),
        ).run()
    finally:
        discard(staged)
    return ar_answer(bulk_response(summary, link_base))


@router.get(
    "/api/v0/invoice/bulk/template",
    summary="An empty invoice file to fill in",
    response_class=Response,
    responses=file_download("The template, CSV or XLSX by `format`", *_FILE_TYPES),
)
async def invoice_template(
    caller: Caller, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv"
) -> Response:
    body = template(format, list(INVOICE_FIELDS), list(ITEM_FIELDS))
    return download(body, media_type=CONTENT_TYPES[format], file_name=f"invoices_template.{format}")


@router.get(
    "/api/v0/bulk",
    summary="The seller's bulk jobs, newest first",
    responses=documented(ArEnvelope[BulkJobPage]),
)
async def list_jobs(
    session: Session,
    caller: Caller,
    settings: AppSettings,
    link_base: LinkBase,
    limit: int = Query(default=100, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> Response:
    found, total = await jobs.list_jobs(
        session,
        seller_id=caller.seller_id,
        limit=limit,
        offset=offset,
        now=utc_now(),  # liveness is about real time, whatever the business clock says
        liveness=liveness_of(settings),
    )
    time_zone = caller.seller.time_zone
    return ar_answer(
        {
            "jobs": [job_item(job, link_base, time_zone) for job in found],
            "totalCount": total,
            "limit": limit,
            "offset": offset,
        }
    )


@router.get("/api/v0/bulk/{jobId}", summary="A bulk job's status and summary", responses=_JOB)
async def get_job(
    jobId: str,
    session: Session,
    caller: Caller,
    settings: AppSettings,
    link_base: LinkBase,
) -> Response:
    job = await jobs.read_job(
        session,
        seller_id=caller.seller_id,
        job_id=jobId,
        now=utc_now(),
        liveness=liveness_of(settings),
    )
    if job is None:
        raise NotFound(f"Bulk job not found: {jobId}")
    return ar_answer(bulk_response(await jobs.summary_of_job(session, job), link_base))


@router.get(
    "/api/v0/bulk/{jobId}/files/{kind}",
    summary="Download a job's success or failure file",
    response_class=StreamingResponse,
    responses=file_download("The report file, in the uploaded file's format", *_FILE_TYPES),
)
async def download_report(
    request: Request,
    jobId: str,
    kind: str,
    session: Session,
    caller: Caller,
) -> StreamingResponse:
    """Streamed from the database, so every server answers the same bytes."""
    job = await repository.get_job(session, seller_id=caller.seller_id, job_id=jobId)
    if job is None or kind not in REPORTS or not await jobs.has_report(session, job, kind):
        raise NotFound(f"Bulk file not found: {jobId}/{kind}")
    stem = Path(job.file_name).stem or "bulk"
    file_name = f"{stem}_{kind}.{job.file_format}".replace('"', "")
    return StreamingResponse(
        jobs.report_file(request.app.state.session_factory, job, kind),
        media_type=CONTENT_TYPES[job.file_format],
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


# --- Customers: bulk create, bulk update and the template (issue #6, customer half). ---


async def _file_job(
    job_class: type[CustomerCreateImport] | type[CustomerUpdateImport] | type[CreditNoteImport],
    *,
    request: Request,
    session: Any,
    caller: Caller,
    now: Any,
    settings: Settings,
    link_base: str,
    file: UploadFile | None,
) -> Response:
    staged = await stage_file(request, file, settings)
    try:
        summary = await job_class(
            staged=staged,
            caller=caller,
            now=now,
            limits=limits_of(settings),
            batch_scope=batch_scope_for(request, session),
            lock=job_lock_for(request),
        ).run()
    finally:
        discard(staged)
    return ar_answer(bulk_response(summary, link_base))


@router.post(
    "/api/v0/customer/bulk",
    summary="Create customers from a CSV or XLSX file",
    responses=_JOB,
)
async def bulk_create_customers(
    request: Request,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
    file: UploadField = None,
    companyId: Annotated[str | None, Query()] = None,
) -> Response:
    return await _file_job(
        CustomerCreateImport,
        request=request,
        session=session,
        caller=caller,
        now=now,
        settings=settings,
        link_base=link_base,
        file=file,
    )


@router.post(
    "/api/v0/customer/bulk/update",
    summary="Change customers from a file (empty = unchanged)",
    responses=_JOB,
)
async def bulk_update_customers(
    request: Request,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
    file: UploadField = None,
    parentCompanyId: Annotated[str | None, Query()] = None,
) -> Response:
    return await _file_job(
        CustomerUpdateImport,
        request=request,
        session=session,
        caller=caller,
        now=now,
        settings=settings,
        link_base=link_base,
        file=file,
    )


@router.get(
    "/api/v0/customer/bulk/template",
    summary="An empty customer file to fill in",
    response_class=Response,
    responses=file_download("The template, CSV or XLSX by `format`", *_FILE_TYPES),
)
async def customer_template(
    caller: Caller, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv"
) -> Response:
    body = template(format, list(CREATE_FIELDS))
    return download(
        body, media_type=CONTENT_TYPES[format], file_name=f"customers_template.{format}"
    )


# --- Credit notes: the third kind of file (one credit note per row, by invoice number). ---


@router.post(
    "/api/v0/credit-note/bulk",
    summary="Issue credit notes from a CSV or XLSX file (by invoice number)",
    responses=_JOB,
)
async def bulk_create_credit_notes(
    request: Request,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
    file: UploadField = None,
) -> Response:
    return await _file_job(
        CreditNoteImport,
        request=request,
        session=session,
        caller=caller,
        now=now,
        settings=settings,
        link_base=link_base,
        file=file,
    )


@router.get(
    "/api/v0/credit-note/bulk/template",
    summary="An empty credit-note file to fill in",
    response_class=Response,
    responses=file_download("The template, CSV or XLSX by `format`", *_FILE_TYPES),
)
async def credit_note_template(
    caller: Caller, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv"
) -> Response:
    body = template(format, list(CREDIT_NOTE_FIELDS))
    return download(
        body, media_type=CONTENT_TYPES[format], file_name=f"credit_notes_template.{format}"
    )
