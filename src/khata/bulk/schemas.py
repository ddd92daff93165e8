"""The BulkResponse payload (AR dialect) and the job list as /openapi.json documents them."""

from typing import Any

from khata.kit.wire import WireAnswer
from khata.models.bulk_job import BulkJobKind, BulkJobStatus


class BulkPayload(WireAnswer):
    """A bulk job's counts and report files (`bulk_wire.bulk_response`); the Enkash names mix
    snake_case and camelCase. `successRequests` / `failureRequests` are a sample of the report
    rows, each the file's own columns (plus `error` on failures)."""

    jobId: str
    status: BulkJobStatus
    total_count: int
    success_count: int
    failure_count: int
    failure_count_second_file: int
    warn_count: int
    total_amount: float
    success_file_name: str | None
    success_file_url: str
    failure_file_name: str | None
    failure_file_url: str
    successRequests: list[dict[str, Any]]
    failureRequests: list[dict[str, Any]]


class BulkJobItem(WireAnswer):
    """One job of `GET /api/v0/bulk`: what `GET /api/v0/bulk/{jobId}` answers, without the
    sample rows, plus the file and its times (seller's time zone)."""

    jobId: str
    kind: BulkJobKind
    fileName: str
    status: BulkJobStatus
    total_count: int
    success_count: int
    failure_count: int
    failure_count_second_file: int
    warn_count: int
    total_amount: float
    success_file_name: str
    success_file_url: str
    failure_file_name: str
    failure_file_url: str
    createdOn: str
    finishedOn: str | None


class BulkJobPage(WireAnswer):
    jobs: list[BulkJobItem]
    totalCount: int
    limit: int
    offset: int
