"""The BulkResponse payload (AR dialect) of a job, the job list, and the downloadable templates."""

import csv
import io
from typing import Any

import xlsxwriter

from khata.bulk.engine import JobSummary, report_names
from khata.bulk.files import CSV, ITEMS_SHEET
from khata.kit.money import wire_paise
from khata.kit.timeutil import enkash_timestamp
from khata.models import BulkJob

CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_url(base_url: str, job_id: str, kind: str) -> str:
    return f"{base_url.rstrip('/')}/api/v0/bulk/{job_id}/files/{kind}"


def bulk_response(summary: JobSummary, base_url: str) -> dict[str, Any]:
    return {
        "jobId": summary.job_id,
        "status": summary.status,
        "total_count": summary.total_count,
        "success_count": summary.success_count,
        "failure_count": summary.failure_count,
        "failure_count_second_file": summary.failure_count_second_file,
        "warn_count": summary.warn_count,
        "total_amount": wire_paise(summary.total_amount),
        "success_file_name": summary.success_file_name,
        "success_file_url": file_url(base_url, summary.job_id, "success"),
        "failure_file_name": summary.failure_file_name,
        "failure_file_url": file_url(base_url, summary.job_id, "failure"),
        "successRequests": summary.success_requests,
        "failureRequests": summary.failure_requests,
    }


def job_item(job: BulkJob, base_url: str, time_zone: str) -> dict[str, Any]:
    """One job of the list: its status, counts and report files (no sample rows)."""
    success_name, failure_name = report_names(job.file_name, job.file_format)
    return {
        "jobId": job.id,
        "kind": job.kind,
        "fileName": job.file_name,
        "status": job.status,
        "total_count": job.total_count,
        "success_count": job.success_count,
        "failure_count": job.failure_count,
        "failure_count_second_file": job.failure_count_second_file,
        "warn_count": job.warn_count,
        "total_amount": wire_paise(job.total_amount),
        "success_file_name": success_name,
        "success_file_url": file_url(base_url, job.id, "success"),
        "failure_file_name": failure_name,
        "failure_file_url": file_url(base_url, job.id, "failure"),
        "createdOn": enkash_timestamp(job.created_at, time_zone),
        "finishedOn": (
            enkash_timestamp(job.finished_at, time_zone) if job.finished_at is not None else None
        ),
    }


def template(file_format: str, headers: list[str], items_headers: list[str] | None = None) -> bytes:
    """An empty file with the header row (and, for XLSX invoices, the items sheet)."""
    if file_format == CSV:
        text = io.StringIO()
        csv.writer(text).writerow(headers)
        return text.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("invoices" if items_headers is not None else "customers").write_row(
        0, 0, headers
    )
    if items_headers is not None:
        book.add_worksheet(ITEMS_SHEET).write_row(0, 0, items_headers)
    book.close()
    return buffer.getvalue()
