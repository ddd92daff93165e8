"""HTTP endpoints of bulk files: invoice and customer uploads, reports, templates, jobs."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from khata.auth.deps import Caller
from khata.bulk import repository
from khata.bulk.customer_rows import CREATE_FIELDS
from khata.bulk.customer_service import CustomerCreateImport, CustomerUpdateImport
from khata.bulk.engine import BatchScope, committing_scope, request_scope
from khata.bulk.files import BadFile, Limits, StagedFile, discard, stage_upload, too_large_message
from khata.bulk.invoice_rows import INVOICE_FIELDS, ITEM_FIELDS
from khata.bulk.schemas import BulkPayload
from khata.bulk.service import InvoiceImport
from khata.bulk.wire import CONTENT_TYPES, bulk_response, summary_of_job, template
from khata.config import Settings
from khata.invoice.rows import Author
from khata.kit.envelopes import ArEnvelope
from khata.kit.errors import NotFound
from khata.web.answers import AR_ERRORS, ar_answer, documented, download, file_download
from khata.web.deps import AppSettings, LinkBase, Now, Session

router = APIRouter(tags=["bulk"], responses=AR_ERRORS)
_JOB = documented(ArEnvelope[BulkPayload])
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


async def _stage(request: Request, file: UploadFile | None, settings: Settings) -> StagedFile:
    limits = limits_of(settings)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + _MULTIPART_SLACK:
        raise BadFile(too_large_message(limits.max_bytes))
    if not isinstance(file, StarletteUpload):
        raise BadFile("Multipart form field 'file' with a CSV or XLSX file is required")
    return await stage_upload(file, file_name=file.filename or "", limits=limits)


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
    staged = await _stage(request, file, settings)
    try:
        summary = await InvoiceImport(
            staged=staged,
            seller=caller.seller,
            actor=_actor(caller),
            now=now,
            report_dir=settings.report_dir,
            public_base_url=settings.links_base_url,  # e-mail links, as in API dispatch
            limits=limits_of(settings),
            batch_scope=batch_scope_for(request, session),
        ).run()
    finally:
        discard(staged.path)
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


@router.get("/api/v0/bulk/{jobId}", summary="A past bulk job's summary", responses=_JOB)
async def get_job(
    jobId: str,
    session: Session,
    caller: Caller,
    link_base: LinkBase,
) -> Response:
    job = await repository.get_job(session, seller_id=caller.seller_id, job_id=jobId)
    if job is None:
        raise NotFound(f"Bulk job not found: {jobId}")
    return ar_answer(bulk_response(summary_of_job(job), link_base))


@router.get(
    "/api/v0/bulk/{jobId}/files/{kind}",
    summary="Download a job's success or failure file",
    response_class=FileResponse,
    responses=file_download("The report file, in the uploaded file's format", *_FILE_TYPES),
)
async def download_report(
    jobId: str,
    kind: str,
    session: Session,
    caller: Caller,
) -> FileResponse:
    job = await repository.get_job(session, seller_id=caller.seller_id, job_id=jobId)
    if job is None or kind not in ("success", "failure"):
        raise NotFound(f"Bulk file not found: {jobId}/{kind}")
    path = job.success_file_path if kind == "success" else job.failure_file_path
    if not path or not _exists(path):
        raise NotFound(f"Bulk file not found: {jobId}/{kind}")
    stem = Path(job.file_name).stem or "bulk"
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[job.file_format],
        filename=f"{stem}_{kind}.{job.file_format}",
    )


def _exists(path: str) -> bool:
    return Path(path).exists()


# --- Customers: bulk create, bulk update and the template (issue #6, customer half). ---


async def _customer_job(
    job_class: type[CustomerCreateImport] | type[CustomerUpdateImport],
    *,
    request: Request,
    session: Any,
    caller: Caller,
    now: Any,
    settings: Settings,
    link_base: str,
    file: UploadFile | None,
) -> Response:
    staged = await _stage(request, file, settings)
    try:
        summary = await job_class(
            staged=staged,
            caller=caller,
            now=now,
            report_dir=settings.report_dir,
            limits=limits_of(settings),
            batch_scope=batch_scope_for(request, session),
        ).run()
    finally:
        discard(staged.path)
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
    return await _customer_job(
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
    return await _customer_job(
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
