"""The BulkResponse payload (AR dialect) as /openapi.json documents it."""

from typing import Any

from khata.kit.wire import WireAnswer


class BulkPayload(WireAnswer):
    """A bulk job's counts and report files (`bulk_wire.bulk_response`); the Enkash names mix
    snake_case and camelCase. `successRequests` / `failureRequests` are a sample of the report
    rows, each the file's own columns (plus `error` on failures)."""

    jobId: str
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
