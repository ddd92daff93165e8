"""The bulk_job.completed webhook event: the job's answer, written with its final status.

Invoices created from a bulk file are told by this one event, not one invoice.created each:
a 100,000-row file would otherwise write 100,000 events (and payloads) inside the import.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from khata.bulk.engine import Job, JobSummary
from khata.bulk.wire import bulk_response
from khata.config import get_settings
from khata.webhook import events
from khata.webhook.events import Event, EventType


async def record_job_completed(session: AsyncSession, job: Job, summary: JobSummary) -> None:
    to = await events.subscribers(session, job.seller_id)
    if not to.want(EventType.BULK_JOB_COMPLETED):
        return
    data = bulk_response(summary, get_settings().links_base_url)
    await events.record(
        session, to=to, events=[Event(EventType.BULK_JOB_COMPLETED, data)], now=job.now
    )
